"""`monarch-sci fno models / train / eval / compare` on tiny files (FNO .mat and neuraloperator .pt)."""

import argparse
import json

import pytest
import torch

from monarch_sci import MonarchError
from monarch_sci.cli import fno
from tests.pde_models.synthetic import write_fno_mat

TINY = ["--modes", "3", "--width", "6", "--batch-size", "4", "--no-progress", "--device", "cpu"]


def run(argv):
    parser = argparse.ArgumentParser(prog="monarch-sci")
    fno.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


@pytest.fixture
def mat_file(tmp_path):
    return write_fno_mat(tmp_path / "ns_tiny.mat", n_samples=12, n=16, frames=13)


def test_models_lists_the_registry(capsys):
    assert run(["fno", "models"]) == 0
    out = capsys.readouterr().out
    assert "monarch-no2d-time" in out and "neuralop-monarch" in out


def test_train_then_eval_and_resolution_transfer(mat_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(["fno", "train", "--model", "monarch-no2d-time", "--data", mat_file, "--epochs", "2", "--n-test", "4",
                "--out", str(out), *TINY]) == 0
    printed = capsys.readouterr().out
    assert "monarch-no2d-time: finished after 2 epochs; test relative L2" in printed
    result = json.loads((out / "result.json").read_text())
    assert result["data"]["n_train"] == 8 and result["data"]["steps"] == 3 and len(result["rel_l2_step"]) == 3
    assert (out / "loss.png").is_file() and (out / "fields.png").is_file() and (out / "metrics.csv").is_file()

    assert run(["fno", "eval", "--checkpoint", str(out / "checkpoint.pt"), "--json", "--device", "cpu"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["rel_l2"] == pytest.approx(result["rel_l2"], rel=1e-6)
    assert evaluated["persistence"]["rel_l2"] > 0 and not evaluated["resolution_transfer"]

    fine = write_fno_mat(tmp_path / "ns_fine.mat", n_samples=6, n=32, frames=13)
    assert run(["fno", "eval", "--checkpoint", str(out / "checkpoint.pt"), "--data", fine, "--n-test", "3",
                "--device", "cpu"]) == 0
    assert "grid (32, 32) (trained on (16, 16); resolution transfer: 4 Monarch layers resampled)" in capsys.readouterr().out


def test_compare_prints_one_table_and_writes_results(mat_file, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = run(["fno", "compare", "--models", "fno2d-time", "monarch-no2d-time", "--data", mat_file, "--epochs", "2",
                "--n-test", "4", "--out", str(out), "--jobs", "2", *TINY])
    assert code == 0
    printed = capsys.readouterr().out
    assert "persistence" in printed and "relative L2 per rollout step" in printed and "/ fno2d-time" in printed
    summary = json.loads((out / "compare.json").read_text())
    assert summary["status"] == "finished" and set(summary["results"]) == {"fno2d-time", "monarch-no2d-time"}
    assert summary["persistence"]["rel_l2"] > 0 and summary["command"].startswith("monarch-sci")
    for name in ("test_error.png", "error_per_step.png", "fields.png"):
        assert (out / name).is_file()
    # the same command again (in this process) resumes: nothing left to train, the same numbers
    assert run(["fno", "compare", "--models", "fno2d-time", "monarch-no2d-time", "--data", mat_file, "--epochs", "2",
                "--n-test", "4", "--out", str(out), *TINY, "--no-plots"]) == 0
    again = json.loads((out / "compare.json").read_text())
    assert again["results"]["monarch-no2d-time"]["rel_l2"] == summary["results"]["monarch-no2d-time"]["rel_l2"]


def test_steady_model_on_a_neuraloperator_pt_file(tmp_path, capsys):
    g = torch.Generator().manual_seed(0)
    torch.save({"x": torch.rand(10, 15, 15, generator=g) > 0.5, "y": torch.randn(10, 15, 15, generator=g)}, tmp_path / "darcy.pt")
    assert run(["fno", "train", "--model", "fno2d", "--data", str(tmp_path / "darcy.pt"), "--epochs", "1", "--n-test", "2",
                "--out", str(tmp_path / "darcy"), *TINY]) == 0
    result = json.loads((tmp_path / "darcy" / "result.json").read_text())
    assert result["model_spec"]["normalize"] == "pointwise" and result["rel_l2"] > 0


def test_errors_name_what_is_wrong(mat_file, tmp_path):
    with pytest.raises(MonarchError, match="unknown model 'fno7d'; valid models:"):
        run(["fno", "train", "--model", "fno7d", "--data", mat_file, "--epochs", "1", "--out", str(tmp_path / "x"), *TINY])
    with pytest.raises(MonarchError, match="data 'no-such-recipe' is neither a file nor a recipe; valid recipes:"):
        run(["fno", "train", "--model", "fno2d-time", "--data", "no-such-recipe", "--out", str(tmp_path / "x"), *TINY])
    with pytest.raises(MonarchError, match="cannot give 20 input frames"):
        run(["fno", "train", "--model", "fno2d-time", "--data", mat_file, "--in-frames", "20", "--out", str(tmp_path / "x"), *TINY])
    with pytest.raises(MonarchError, match="unknown protocol 'h100'; valid protocols:"):
        run(["fno", "compare", "--protocol", "h100", "--out", str(tmp_path / "x")])
    with pytest.raises(MonarchError, match="checkpoint '.*nothing.pt' does not exist"):
        run(["fno", "eval", "--checkpoint", str(tmp_path / "nothing.pt"), "--device", "cpu"])
