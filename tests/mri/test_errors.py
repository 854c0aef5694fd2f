"""Bad input gives a MonarchError naming the file and what was expected."""

import h5py
import numpy as np
import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.mri import SliceDataset, build_header, evaluate_dirs, inspect_volume, parse_header, sense, write_reconstruction

from .conftest import run_mri_cli

HEADER = build_header((32, 24), (16, 16), 4)


def _write(path, kspace=None, header=HEADER, target="ok", attrs=None, mask=None, skip=()):
    kspace = np.ones((2, 4, 32, 24), np.complex64) if kspace is None else kspace
    with h5py.File(path, "w") as hf:
        if "kspace" not in skip:
            hf.create_dataset("kspace", data=kspace)
        if header is not None:
            hf.create_dataset("ismrmrd_header", data=header)
        if target is not None:
            hf.create_dataset("reconstruction_rss", data=np.ones((2, 16, 16), np.float32) if isinstance(target, str) else target)
        if mask is not None:
            hf.create_dataset("mask", data=mask)
        for k, v in ({"max": 1.0} if attrs is None else attrs).items():
            hf.attrs[k] = v
    return path


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(skip=("kspace",)), r"no 'kspace' dataset"),
        (dict(kspace=np.ones((2, 4, 32, 24), np.float32)), r"'kspace' must be complex"),
        (dict(kspace=np.ones((32, 24), np.complex64)), r"expected \(slices, coils, H, W\)"),
        (dict(header=None), r"no 'ismrmrd_header'"),
        (dict(header="<ismrmrdHeader><encoding>"), r"not valid XML"),
        (dict(header=HEADER.replace("<reconSpace>", "<reconSpaceX>").replace("</reconSpace>", "</reconSpaceX>")), r"encoding/reconSpace/matrixSize/x"),
        (dict(header=HEADER.replace("<center>12</center>", "<center>twelve</center>")), r"should be an integer, got 'twelve'"),
        (dict(attrs={}), r"attribute 'max'"),
        (dict(target=np.ones((3, 16, 16), np.float32)), r"'reconstruction_rss' has shape \(3, 16, 16\); expected \(2, h, w\)"),
        (dict(mask=np.ones(20, bool)), r"'mask' has shape \(20,\); expected \(24,\)"),
    ],
)
def test_bad_files(tmp_path, kwargs, match):
    path = _write(tmp_path / "bad_file.h5", **kwargs)
    with pytest.raises(MonarchError, match=match) as info:
        inspect_volume(path)
    assert "bad_file.h5" in str(info.value)


def test_not_hdf5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("hello")
    with pytest.raises(MonarchError, match="notes.h5: cannot open as an HDF5 file"):
        inspect_volume(path)


def test_empty_and_missing_directories(tmp_path):
    with pytest.raises(MonarchError, match="no .h5 files"):
        SliceDataset(tmp_path)
    with pytest.raises(MonarchError, match="not a directory"):
        SliceDataset(tmp_path / "missing")
    code, _, err = run_mri_cli("eval", "--targets", str(tmp_path), "--recons", str(tmp_path))
    assert code == 2 and "no .h5 files" in err and str(tmp_path) in err


def test_eval_errors(tmp_path):
    targets, recons = tmp_path / "t", tmp_path / "r"
    targets.mkdir(), recons.mkdir()
    _write(targets / "vol.h5")
    with pytest.raises(MonarchError, match=r"r/vol.h5: missing"):
        evaluate_dirs(targets, recons)
    with h5py.File(recons / "vol.h5", "w") as hf:
        hf.create_dataset("wrong", data=np.ones((2, 16, 16)))
    with pytest.raises(MonarchError, match=r"vol.h5: none of the datasets \['reconstruction'\]"):
        evaluate_dirs(targets, recons)
    write_reconstruction(recons / "vol.h5", np.ones((2, 8, 8)))
    with pytest.raises(MonarchError, match="cannot center-crop"):
        evaluate_dirs(targets, recons)
    with pytest.raises(MonarchError, match="real \\(slices, h, w\\)"):
        write_reconstruction(recons / "vol.h5", np.ones((2, 8, 8), complex))


def test_header_errors_name_the_source():
    with pytest.raises(MonarchError, match="file9.h5: the ismrmrd_header is empty"):
        parse_header("", source="file9.h5")


def test_coil_mismatch_in_reconstruction():
    kspace = torch.ones(2, 4, 16, 16, dtype=torch.complex64)
    with pytest.raises(MonarchError, match=r"coil maps \(2, 3, 16, 16\) do not match k-space \(2, 4, 16, 16\)"):
        sense(kspace, torch.ones(1, 1, 1, 16), torch.ones(2, 3, 16, 16, dtype=torch.complex64))
    with pytest.raises(MonarchError, match="complex k-space"):
        sense(kspace.real, torch.ones(1, 1, 1, 16), torch.ones(2, 4, 16, 16, dtype=torch.complex64))


def test_cli_errors(tmp_path):
    code, _, err = run_mri_cli("recon", str(tmp_path), str(tmp_path / "out"), "--method", "grappa")
    assert code == 2 and "valid methods: zero-filled, sense, l1-wavelet" in err
    code, _, err = run_mri_cli("simulate", str(tmp_path), "--phantom", "cat", "--no-progress")
    assert code == 2 and "valid phantoms: shepp_logan, blobs" in err
    code, _, err = run_mri_cli("simulate", str(tmp_path), "--images", str(tmp_path / "none.npy"), "--no-progress")
    assert code == 2 and "none.npy: no such image file" in err
    np.save(tmp_path / "flat.npy", np.ones(10))
    code, _, err = run_mri_cli("simulate", str(tmp_path), "--images", str(tmp_path / "flat.npy"), "--no-progress")
    assert code == 2 and "flat.npy" in err and "(slices, h, w)" in err
