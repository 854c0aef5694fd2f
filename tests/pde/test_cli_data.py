"""`monarch-sci data ...` through the real entry point (needs `data` registered in cli/main.py)."""

import json

import h5py
import numpy as np
import pytest
import scipy.io

from monarch_sci.cli.data import parse_overrides
from monarch_sci.cli.main import main
from monarch_sci.pde import load_data

TINY = ["--set", "T=2", "solver_grid=16", "output_grid=16", "--no-progress"]


def test_generate_info_convert_plot(tmp_path, capsys):
    out = tmp_path / "ns.h5"
    assert main(["data", "generate", "ns-v1e-3-small", "--n", "3", "--out", str(out), *TINY]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["data", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert (
        "monarch" in text and "[3, 2, 16, 16]" in text and "complete; kind navier_stokes, recipe ns-v1e-3-small" in text
    )
    assert main(["data", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["attrs"]["params"]["solver_grid"] == 16 and info["attrs"]["completed"] == 3
    png = tmp_path / "spectrum.png"
    assert main(["data", "plot", str(out), "--out", str(png)]) == 0
    stats = json.loads(png.with_suffix(".json").read_text())
    assert png.stat().st_size > 10_000 and len(stats["enstrophy"]) == 3 and stats["command"]


def test_convert_fno_darcy_mat(tmp_path, capsys, darcy_arrays):
    scipy.io.savemat(tmp_path / "piececonst.mat", darcy_arrays)
    assert main(["data", "convert", str(tmp_path / "piececonst.mat"), str(tmp_path / "d.h5")]) == 0
    data = load_data(tmp_path / "d.h5")
    assert np.array_equal(data.u.numpy(), darcy_arrays["sol"]) and data.grid == "nodes"
    assert main(["data", "info", str(tmp_path / "piececonst.mat")]) == 0
    assert "fno-mat" in capsys.readouterr().out


def test_convert_with_keys(tmp_path):
    scipy.io.savemat(tmp_path / "k.mat", {"input": np.ones((2, 4, 4)), "output": np.zeros((2, 4, 4))})
    assert main(["data", "convert", str(tmp_path / "k.mat"), str(tmp_path / "k.h5"), "--keys", "a=input,u=output"]) == 0
    with h5py.File(tmp_path / "k.h5") as f:
        assert json.loads(f.attrs["source_keys"]) == {"a": "input", "u": "output"}


def test_recipes_listing(capsys):
    assert main(["data", "recipes"]) == 0
    out = capsys.readouterr().out
    assert "ns-v1e-3-small" in out and "darcy" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["data", "generate", "ns-v1e-9"], "unknown recipe 'ns-v1e-9'; valid recipes: burgers, burgers-small, darcy"),
        (["data", "info", "/nonexistent/file.mat"], "no such file"),
        (["data", "generate", "ns-v1e-3-small", "--set", "dt"], "--set expects KEY=VALUE, got 'dt'"),
        (["data", "convert", "a.mat", "b.h5", "--keys", "x=1"], "--keys expects a=NAME,u=NAME"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_key_through_the_cli(tmp_path, capsys):
    scipy.io.savemat(tmp_path / "ns.mat", {"a": np.ones((2, 4, 4))})
    assert main(["data", "convert", str(tmp_path / "ns.mat"), str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err
    assert "ns.mat: missing key 'u'" in err and "keys present: a" in err


def test_parse_overrides():
    assert parse_overrides(["dt=5e-4", "grf.tau=5", "scheme=heun"]) == {"dt": 5e-4, "grf": {"tau": 5}, "scheme": "heun"}


def test_recipes_json_and_info_of_external_files(tmp_path, capsys):
    assert main(["data", "recipes", "--json"]) == 0
    recipes = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert recipes["ns-v1e-3"]["params"]["dt"] == 1e-4
    with h5py.File(tmp_path / "pdebench.h5", "w") as f:
        f["tensor"] = np.zeros((2, 3, 8), dtype=np.float32)
    assert main(["data", "info", str(tmp_path / "pdebench.h5")]) == 0
    out = capsys.readouterr().out
    assert "pdebench" in out and "tensor" in out and "[2, 3, 8]" in out
