"""`mri train` → `mri recon --checkpoint` → `mri eval` end to end on tiny simulated volumes, and CLI errors."""

import json

import h5py

from .conftest import run_mri_cli

MASK = ["--mask", "equispaced", "--acceleration", "4", "--center-fraction", "0.08"]
FAST = ["--epochs", "2", "--maps", "file", "--threads", "1", "--no-progress"]


def test_train_recon_eval(sim_dir, tmp_path):
    run = tmp_path / "run"
    code, out, err = run_mri_cli("train", str(sim_dir), "--model", "msense", "--out", str(run), "--val", str(sim_dir),
                                 "--iterations", "3", "--structure", "MM*", *MASK, *FAST)
    assert code == 0, err
    assert "msense: finished after 2 epochs; validation slice PSNR" in out and "in transforms" in out
    for name in ("checkpoint.pt", "metrics.json", "metrics.csv", "result.json", "loss.png", "sample.png", "val_psnr.png"):
        assert (run / name).is_file(), name
    result = json.loads((run / "result.json").read_text())
    assert result["command"].startswith("monarch-sci") and result["meta"]["mask"]["type"] == "equispaced"
    assert result["options"] == {"structure": "MM*", "iterations": 3} and len(result["history"]) == 2
    code, out, err = run_mri_cli("train", str(sim_dir), "--model", "msense", "--out", str(run), "--val", str(sim_dir),
                                 "--iterations", "3", "--structure", "MM*", *MASK, *FAST)
    assert code == 0 and "after 2 epochs" in out  # the same command again: resumes, nothing left to do

    recon = tmp_path / "recon"
    code, out, err = run_mri_cli("recon", str(sim_dir), str(recon), "--checkpoint", str(run / "checkpoint.pt"), "--no-progress")
    assert code == 0, err
    assert "wrote 2 reconstructions" in out and "PSNR" in out
    with h5py.File(recon / "sim0000.h5") as hf:
        assert hf["reconstruction"].shape == (3, 48, 48) and hf.attrs["method"] == "msense"
    info = json.loads((recon / "recon.json").read_text())
    assert info["mask"]["type"] == "equispaced" and info["maps"] == "file" and info["model"]["name"] == "msense"
    code, out, err = run_mri_cli("eval", "--targets", str(sim_dir), "--recons", str(recon))
    assert code == 0 and "2 volumes: MSE" in out


def test_unet_trains_without_maps(sim_dir, tmp_path):
    code, out, err = run_mri_cli("train", str(sim_dir), "--model", "unet", "--out", str(tmp_path / "unet"), "--chans", "2",
                                 "--pools", "1", *MASK, *FAST, "--no-plots")
    assert code == 0, err
    assert "unet: finished after 2 epochs" in out and "(0 in transforms)" in out


def test_unrolled_networks_train(sim_dir, tmp_path):
    for model, extra in (("unrolled-fft", ()), ("unrolled-monarch", ("--warm-start", "learned"))):
        code, out, err = run_mri_cli("train", str(sim_dir), "--model", model, "--out", str(tmp_path / model), "--cascades", "2",
                                     "--chans", "2", "--pools", "1", "--init-iterations", "2", *extra, *MASK, *FAST, "--no-plots")
        assert code == 0, err
        assert f"{model}: finished after 2 epochs" in out
    assert "(0 in transforms)" not in out  # the Monarch network's transforms are counted
    assert json.loads((tmp_path / "unrolled-monarch" / "result.json").read_text())["options"]["warm_start"] == "learned"
    code, _, err = run_mri_cli("train", str(sim_dir), "--model", "unrolled-fft", "--out", str(tmp_path / "x"), "--warm-start", "exact")
    assert code == 2 and "--warm-start do(es) not apply to --model unrolled-fft" in err


def test_models_and_cli_errors(sim_dir, tmp_path):
    code, out, _ = run_mri_cli("models")
    assert code == 0 and all(name in out for name in ("msense", "unrolled-monarch", "unrolled-fft", "unet"))
    code, _, err = run_mri_cli("train", str(sim_dir), "--model", "varnet", "--out", str(tmp_path / "x"))
    assert code == 2 and "valid models: msense, unrolled-monarch, unrolled-fft, unet" in err
    code, _, err = run_mri_cli("train", str(sim_dir), "--model", "msense", "--out", str(tmp_path / "x"), "--cascades", "3")
    assert code == 2 and "--cascades do(es) not apply to --model msense" in err
    code, _, err = run_mri_cli("train", str(sim_dir), "--model", "msense", "--out", str(tmp_path / "x"), "--mask-seed", "seven")
    assert code == 2 and "--mask-seed must be 'volume' or an int" in err
    code, _, err = run_mri_cli("recon", str(sim_dir), str(tmp_path / "r"), "--checkpoint", str(tmp_path / "missing.pt"))
    assert code == 2 and "does not exist" in err
    code, _, err = run_mri_cli("recon", str(sim_dir), str(tmp_path / "r"), "--method", "sense", "--mask-seed", "1")
    assert code == 2 and "--mask-seed needs --mask" in err
