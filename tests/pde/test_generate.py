import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from monarch_sci.errors import MonarchError
from monarch_sci.pde import available_recipes, generate, get_recipe, load_data

TINY = {"T": 2.0, "solver_grid": 16, "output_grid": 16}  # ns-v1e-3-small cut down for tests


def tiny(tmp_path, name="ns.h5", **kw):
    options = {"n": 6, "chunk": 2, "params": TINY, "progress": False, **kw}
    return generate("ns-v1e-3-small", tmp_path / name, **options)


def test_every_registered_recipe_is_valid():
    names = set(available_recipes())
    published = {"ns-v1e-3", "ns-v1e-4", "ns-v1e-5", "burgers", "darcy"}
    assert published | {f"{p}-small" for p in published} <= names
    for name in names:
        recipe = get_recipe(name)
        assert recipe.name == name and recipe.problem().params


def test_published_settings():
    for name, visc, T in (("ns-v1e-3", 1e-3, 50), ("ns-v1e-4", 1e-4, 30), ("ns-v1e-5", 1e-5, 20)):
        p = get_recipe(name).problem().params
        assert (p["visc"], p["T"], p["dt"], p["solver_grid"], p["output_grid"], p["scheme"]) == (
            visc,
            T,
            1e-4,
            256,
            64,
            "euler",
        )
        assert p["grf"] == {"alpha": 2.5, "tau": 7.0, "sigma": pytest.approx(2**0.5 * 7**1.5)}
    assert get_recipe("ns-v1e-3").n == 1200
    b = get_recipe("burgers").problem().params
    assert (b["visc"], b["solver_grid"], b["grf"]["sigma"] ** 2, b["grf"]["tau"] ** 2, b["grf"]["alpha"]) == (
        0.1,
        8192,
        625,
        25,
        2,
    )
    d = get_recipe("darcy").problem().params
    assert (d["solver_grid"], d["high"], d["low"], d["grf"]["tau"]) == (421, 12.0, 3.0, 3.0)


def test_unknown_recipe_lists_the_valid_ones(tmp_path):
    with pytest.raises(
        MonarchError, match=r"unknown recipe 'ns-v1e-6'; valid recipes: burgers, burgers-small, darcy, .*ns-v1e-3"
    ):
        generate("ns-v1e-6", tmp_path / "x.h5")


def test_bad_parameters_are_named(tmp_path):
    with pytest.raises(
        MonarchError, match=r"unknown navier_stokes parameter 'viscosity'; valid: T, compile, downsample, dt"
    ):
        tiny(tmp_path, params={"viscosity": 1e-3})
    with pytest.raises(MonarchError, match="unknown navier_stokes parameter grf.beta"):
        tiny(tmp_path, params={"grf": {"beta": 1}})
    with pytest.raises(MonarchError, match="n must be a positive integer, got 0"):
        tiny(tmp_path, n=0)
    with pytest.raises(MonarchError, match="CUDA is not available"):
        if __import__("torch").cuda.is_available():
            raise MonarchError("CUDA is not available (skip: this machine has one)")
        tiny(tmp_path, device="cuda")


def test_file_layout_and_attributes(tmp_path):
    path = tiny(tmp_path)
    with h5py.File(path) as f:
        assert f["a"].shape == (6, 16, 16) and f["u"].shape == (6, 2, 16, 16) and list(f["t"][()]) == [1.0, 2.0]
        assert f["u"].dtype == np.float32 and f["u"].chunks is None  # contiguous: crash-safe writes
        attrs = dict(f.attrs)
    assert attrs["format"] == "monarch-sci-pde" and attrs["completed"] == attrs["n_samples"] == 6
    assert attrs["seed"] == 0 and attrs["recipe"] == "ns-v1e-3-small" and attrs["package_version"]
    params = json.loads(attrs["params"])
    assert params["solver_grid"] == 16 and params["scheme"] == "heun" and params["visc"] == 1e-3
    data = load_data(path)
    assert data.n == 6 and np.isfinite(data.u.numpy()).all()


def test_samples_depend_only_on_seed_and_index(tmp_path):
    a = load_data(tiny(tmp_path, "a.h5", chunk=2))
    b = load_data(tiny(tmp_path, "b.h5", chunk=4, n=4))
    c = load_data(tiny(tmp_path, "c.h5", seed=1))
    assert np.array_equal(a.a[:4].numpy(), b.a.numpy())
    assert np.allclose(a.u[:4].numpy(), b.u.numpy(), rtol=0, atol=1e-6)
    assert not np.allclose(a.a.numpy(), c.a.numpy())


def test_resume_after_interrupt_gives_the_same_file(tmp_path):
    reference = load_data(tiny(tmp_path, "ref.h5"))

    def stop(done):
        if done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tiny(tmp_path, "ns.h5", on_chunk=stop)
    part = tmp_path / "ns.h5.part"
    assert part.exists() and not (tmp_path / "ns.h5").exists()
    with h5py.File(part) as f:
        assert f.attrs["completed"] == 4 and np.isnan(f["u"][4:]).all()
    partial = load_data(part, format="monarch", allow_partial=True)
    assert partial.n == 4 and np.array_equal(partial.u.numpy(), reference.u[:4].numpy())
    with pytest.raises(MonarchError, match=r"incomplete: 4 of 6 samples"):
        load_data(part, format="monarch")
    with pytest.raises(MonarchError, match=r"different settings \(params: file has"):
        tiny(tmp_path, "ns.h5", params={**TINY, "visc": 2e-3})
    resumed = load_data(tiny(tmp_path, "ns.h5"))
    assert np.array_equal(resumed.u.numpy(), reference.u.numpy()) and np.array_equal(
        resumed.a.numpy(), reference.a.numpy()
    )
    with pytest.raises(MonarchError, match="already exists"):
        tiny(tmp_path, "ns.h5")


def test_worker_processes_give_the_same_file(tmp_path):
    serial = load_data(tiny(tmp_path, "serial.h5"))
    pooled = load_data(tiny(tmp_path, "pooled.h5", workers=2))
    assert np.array_equal(serial.u.numpy(), pooled.u.numpy()) and np.array_equal(serial.a.numpy(), pooled.a.numpy())
    with pytest.raises(MonarchError, match="workers must be a positive integer or 'auto', got 0"):
        tiny(tmp_path, "w.h5", workers=0)


KILL_SCRIPT = """
import sys, time
from monarch_sci.pde import generate
generate("ns-v1e-3-small", sys.argv[1], n=40, chunk=4, params={"T": 2.0, "solver_grid": 16, "output_grid": 16},
         progress=False, on_chunk=lambda done: print(done, flush=True))
"""


def test_hard_kill_never_corrupts_finished_samples(tmp_path):
    """SIGKILL a generation at a random point mid-run, resume it, compare with an uninterrupted run."""
    out = tmp_path / "killed.h5"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # the same arithmetic as this process (one thread)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(out)], stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()  # the first chunk is committed
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert line.strip() and (tmp_path / "killed.h5.part").exists()
    with h5py.File(tmp_path / "killed.h5.part") as f:
        done = int(f.attrs["completed"])
        assert done >= 4 and done % 4 == 0
        committed = f["u"][:done]
    resumed = load_data(generate("ns-v1e-3-small", out, n=40, chunk=4, params=TINY, progress=False))
    reference = load_data(generate("ns-v1e-3-small", tmp_path / "ref.h5", n=40, chunk=4, params=TINY, progress=False))
    assert np.array_equal(resumed.u[:done].numpy(), committed)  # finished samples untouched
    assert np.array_equal(resumed.u.numpy(), reference.u.numpy())


def test_small_recipes_generate_tiny_versions(tmp_path):
    for name, params in (
        ("burgers-small", {"solver_grid": 128, "output_grid": 64, "dt": 1e-2}),
        ("darcy-small", {"solver_grid": 17, "output_grid": 9}),
        ("ns-v1e-5-small", {"T": 1.0, "solver_grid": 16, "output_grid": 8, "downsample": "spectral"}),
    ):
        data = load_data(generate(name, tmp_path / f"{name}.h5", n=3, params=params, progress=False))
        assert data.n == 3 and np.isfinite(data.u.numpy()).all()
        assert data.space_shape[-1] == params["output_grid"]
