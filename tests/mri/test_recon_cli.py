"""`mri recon` (zero-filled, SENSE, L1-wavelet) and `mri eval` on simulated 8-coil volumes."""

import json

import h5py
import numpy as np
import pytest
import torch

from monarch_sci.mri import SliceDataset, collate_slices, create_mask, espirit_maps, evaluate_dirs, sense

from .conftest import run_mri_cli

# equispaced lines: the GRAPPA-style pattern SENSE is built for (random masks leave gaps that smooth
# coil maps cannot fill; the note in the lead's report has both)
MASK = ["--mask", "equispaced", "--acceleration", "4", "--center-fraction", "0.08"]


@pytest.fixture(scope="module")
def recons(sim_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("recon")
    runs = {
        "zero-filled": [],
        "sense": ["--maps", "file", "--max-iter", "20"],
        "l1-wavelet": ["--maps", "file", "--max-iter", "20"],
    }
    for method, extra in runs.items():
        code, stdout, err = run_mri_cli("recon", str(sim_dir), str(out / method), "--method", method, *MASK, *extra, "--no-progress")
        assert code == 0, err
        assert "wrote 2 reconstructions" in stdout
    return out


def test_outputs_are_fastmri_reconstruction_files(recons, sim_dir):
    for method in ("zero-filled", "sense", "l1-wavelet"):
        for target in sim_dir.glob("*.h5"):
            with h5py.File(recons / method / target.name) as hf:
                assert hf["reconstruction"].shape == (3, 48, 48) and hf["reconstruction"].dtype == np.float32
            assert (recons / method / "previews" / f"{target.stem}.png").stat().st_size > 1000
        info = json.loads((recons / method / "recon.json").read_text())
        assert info["command"].startswith("monarch-sci") and info["settings"]["method"] == method
        assert {"torch", "numpy", "monarch-sci"} <= set(info["versions"]) and len(info["volumes"]) == 2


def test_sense_and_l1_wavelet_beat_zero_filled(recons, sim_dir):
    scores = {m: evaluate_dirs(sim_dir, recons / m).aggregate for m in ("zero-filled", "sense", "l1-wavelet")}
    zf, se, l1 = (scores[m]["NMSE"][0] for m in ("zero-filled", "sense", "l1-wavelet"))
    assert se < 0.5 * zf and l1 < 0.5 * zf
    assert scores["sense"]["PSNR"][0] > scores["zero-filled"]["PSNR"][0] + 2


def test_eval_cli_prints_per_volume_and_aggregate(recons, sim_dir, tmp_path):
    out = tmp_path / "eval.json"
    code, stdout, err = run_mri_cli("eval", "--targets", str(sim_dir), "--recons", str(recons / "sense"), "--json", str(out))
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].split()[:3] == ["volume", "MSE", "NMSE"] and "sim0000.h5" in lines[1] and "sim0001.h5" in lines[2]
    assert lines[3].startswith("2 volumes: MSE = ") and "NMSE = " in lines[3] and "SSIM = " in lines[3] and "+/-" in lines[3]
    assert "SSIM_gaussian" in stdout and "uniform 7x7" in stdout
    data = json.loads(out.read_text())
    assert set(data["per_volume"]) == {"sim0000.h5", "sim0001.h5"} and "mean" in data["aggregate"]["SSIM"]


def test_monarch_fourier_sense_equals_fft_sense(sim_dir):
    ds = SliceDataset(sim_dir, mask_func=create_mask("random", [0.08], [4]))
    batch = collate_slices([ds[0]])
    with h5py.File(sim_dir / batch.fname[0]) as hf:
        maps = torch.from_numpy(hf["sensitivity_maps"][()])
    mask = batch.mask.float()
    x_fft = sense(batch.kspace, mask, maps, max_iter=4)
    x_monarch = sense(batch.kspace, mask, maps, max_iter=4, fourier="monarch")
    assert ((x_fft - x_monarch).abs().max() / x_fft.abs().max()).item() < 1e-4


def test_espirit_maps_from_the_center(sim_dir):
    ds = SliceDataset(sim_dir)
    sample = ds[1]
    maps = espirit_maps(sample.kspace, calib_width=20, kernel_width=5, max_iter=30)
    images = torch.fft.fftshift(torch.fft.ifft2(torch.fft.ifftshift(sample.kspace, dim=(-2, -1)), norm="ortho"), dim=(-2, -1))
    projected = maps * (maps.conj() * images).sum(0, keepdim=True)
    residual = ((images - projected).abs() ** 2).sum() / (images.abs() ** 2).sum()
    assert residual.item() < 0.05  # coil images lie in the span of the ESPIRiT maps (noise aside)
    norm = (maps.abs() ** 2).sum(0).sqrt()
    assert torch.allclose(norm[norm > 0.5], torch.ones(()), atol=1e-3)
