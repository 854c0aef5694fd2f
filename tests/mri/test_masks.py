"""Masks: fastMRI's exact masks (pinned against fastMRI 0.3.0's MaskFunc), its statistics at W = 368,
per-volume seeding, the registry, Poisson-disc (sigpy) acceleration checks, 2-D variable density."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.mri.masks import MASKS, available_masks, create_mask, volume_seed

FIXTURE = json.loads((Path(__file__).parent / "data" / "fastmri_masks.json").read_text())
LINE_MASKS = ["random", "equispaced", "equispaced_fraction", "magic", "magic_fraction"]


def _seed(value):
    return volume_seed(value) if isinstance(value, str) else value


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"{c['mask']}-{c['accelerations']}-W{c['width']}-{c.get('call', c['seed'])}")
def test_same_seed_same_mask_as_fastmri(case):
    """Masks recorded from fastMRI 0.3.0 (tests/mri/data/make_fastmri_masks.py) are reproduced exactly."""
    if case["seed"] is None:  # successive draws from a MaskFunc seeded at construction
        func = create_mask(case["mask"], case["center_fractions"], case["accelerations"], seed=case["generator_seed"])
        for _ in range(case["call"]):
            func((1, 640, case["width"]))
        mask, num_low = func((1, 640, case["width"]))
    else:
        func = create_mask(case["mask"], case["center_fractions"], case["accelerations"])
        mask, num_low = func((1, 640, case["width"]), seed=_seed(case["seed"]))
    assert mask.shape == (1, 1, case["width"]) and mask.dtype == torch.float32
    assert np.flatnonzero(mask.reshape(-1).numpy()).tolist() == case["lines"]
    assert num_low == case["num_low_frequencies"]


def _stats(name, cf, acc, width=368, seeds=range(200)):
    func = create_mask(name, [cf], [acc])
    accs, lows = [], set()
    for s in seeds:
        mask, num_low = func((15, 640, width), seed=s)
        accs.append(width / mask.sum().item())
        lows.add(num_low)
    return float(np.mean(accs)), lows


@pytest.mark.parametrize(
    "name,cf,acc,expected,tol",
    [
        ("random", 0.08, 4, 3.98, 0.01),
        ("random", 0.04, 8, 7.95, 0.02),
        ("equispaced", 0.08, 4, 3.24, 0.01),
        ("equispaced_fraction", 0.08, 4, 4.00, 0.01),
        ("equispaced_fraction", 0.04, 8, 8.00, 0.02),
    ],
)
def test_fastmri_mean_acceleration_at_368(name, cf, acc, expected, tol):
    mean, _ = _stats(name, cf, acc)
    assert abs(mean - expected) <= tol, mean


@pytest.mark.parametrize("name", LINE_MASKS)
def test_center_lines(name):
    _, lows4 = _stats(name, 0.08, 4, seeds=range(20))
    _, lows8 = _stats(name, 0.04, 8, seeds=range(20))
    assert lows4 == {29} and lows8 == {15}
    mask, _ = create_mask(name, [0.08], [4])((640, 368), seed=0)
    pad = (368 - 29 + 1) // 2
    assert mask[..., pad : pad + 29].all()


@pytest.mark.parametrize("name", LINE_MASKS)
def test_seed_is_reproducible_and_restores_the_stream(name):
    a = create_mask(name, [0.08, 0.04], [4, 8], seed=3)
    b = create_mask(name, [0.08, 0.04], [4, 8], seed=3)
    seed = volume_seed("/data/knee/file1000000.h5")
    assert seed == tuple(map(ord, "file1000000.h5"))
    m1, _ = a((640, 368), seed=seed)
    m2, _ = a((640, 368), seed=seed)
    assert torch.equal(m1, m2)
    # a seeded call leaves the function's own stream where it was
    assert torch.equal(a((640, 368))[0], b((640, 368))[0])


def test_registry():
    assert set(available_masks()) == set(MASKS) >= {*LINE_MASKS, "poisson", "variable_density"}
    with pytest.raises(MonarchError, match="valid mask types: random, equispaced"):
        create_mask("gaussian", [0.08], [4])


@pytest.mark.parametrize(
    "args,match",
    [
        (("random", [0.08, 0.04], [4]), "same length"),
        (("random", [1.5], [4]), r"\[0, 1\)"),
        (("random", [0.08], [1]), "> 1"),
        (("equispaced", [0.08], [4.5]), "integers"),
        (("random", [], []), "non-empty"),
    ],
)
def test_bad_parameters(args, match):
    with pytest.raises(MonarchError, match=match):
        create_mask(*args)


def test_bad_shape():
    with pytest.raises(MonarchError, match=r"\(\.\.\., H, W\)"):
        create_mask("random", [0.08], [4])((368,))


def test_poisson_reaches_acceleration():
    func = create_mask("poisson", [0.1], [4], seed=0)
    mask, num_low = func((2, 48, 40), seed=1)
    assert mask.shape == (1, 48, 40)
    achieved = 48 * 40 / mask.sum().item()
    assert abs(achieved - 4) <= 0.1
    assert num_low == 4 and mask[0, 22:26, 18:22].all()  # calibration box
    assert torch.equal(mask, func((2, 48, 40), seed=1)[0])


def test_poisson_miss_is_retried_then_a_clear_error(monkeypatch):
    import sigpy.mri

    calls = []

    def fake_poisson(shape, accel, seed=0, **kwargs):  # sigpy failing, then missing the target
        calls.append(seed)
        if len(calls) == 1:
            raise ValueError(f"Cannot generate mask to satisfy accel={accel}.")
        return np.ones(shape, dtype=np.float32)  # acceleration 1

    monkeypatch.setattr(sigpy.mri, "poisson", fake_poisson)
    func = create_mask("poisson", [0.1], [4], retries=3)
    with pytest.raises(MonarchError, match=r"could not reach acceleration 4 .* shape \(16, 16\).*after 3 seeds.*achieved 1.000"):
        func((16, 16), seed=0)
    assert len(calls) == 3 and len(set(calls)) == 3  # a fresh seed per retry


def test_variable_density():
    func = create_mask("variable_density", [0.08], [6])
    accs = [64 * 80 / func((64, 80), seed=s)[0].sum().item() for s in range(20)]
    assert abs(np.mean(accs) - 6) < 0.3
    mask, num_low = func((3, 64, 80), seed=0)
    assert mask.shape == (1, 64, 80) and num_low == 6
    with pytest.raises(MonarchError, match="calibration box"):
        create_mask("variable_density", [0.9], [2])((32, 32))


@pytest.mark.parametrize("shape", [(320, 320), (321, 333)])
@pytest.mark.parametrize("cf", [0.04, 0.08])
def test_center_lines_of_a_2d_mask_is_its_calibration_square(shape, cf):
    """ESPIRiT calibrates on the fully sampled center square, not on the columns a 2-D mask touches."""
    from monarch_sci.mri.recon import center_lines

    mask, _ = create_mask("poisson", [cf], [4])((4, *shape), seed=0)
    assert center_lines(mask) == min(round(shape[0] * cf), round(shape[1] * cf))
    lines, low = create_mask("random", [cf], [4])(shape, seed=0)
    assert center_lines(lines) >= low and lines[..., shape[1] // 2].all()
