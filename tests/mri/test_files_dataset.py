"""fastMRI files written by `mri simulate` and read back: header, targets, dataset, masks, batching, samplers."""

import h5py
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from monarch_sci.errors import MonarchError
from monarch_sci.mri import (
    ShapeBatchSampler,
    SliceDataset,
    SliceSample,
    VolumeSampler,
    build_header,
    center_crop,
    collate_slices,
    create_mask,
    inspect_volume,
    parse_header,
    rss_from_kspace,
)

from .conftest import run_mri_cli


def test_rss_of_fully_sampled_data_equals_stored_target(sim_dir):
    ds = SliceDataset(sim_dir)
    assert len(ds) == 6
    for sample in ds:
        assert isinstance(sample, SliceSample)
        assert sample.kspace.shape == (8, 96, 48) and sample.kspace.dtype == torch.complex64
        assert sample.mask.all() and sample.target.shape == (48, 48) and sample.crop_size == (48, 48)
        image = center_crop(rss_from_kspace(sample.kspace.to(torch.complex128)), sample.crop_size)
        err = (image - sample.target.double()).abs().max() / sample.target.abs().max()
        assert err.item() <= 1e-6


def test_header_and_attributes(sim_dir):
    info = inspect_volume(sorted(sim_dir.glob("*.h5"))[0])
    assert info.challenge == "multicoil" and info.kspace_shape == (3, 8, 96, 48)
    assert info.encoding.encoding_size == (96, 48, 1) and info.encoding.recon_size == (48, 48, 1)
    assert (info.encoding.padding_left, info.encoding.padding_right) == (0, 48)
    with h5py.File(info.path) as hf:
        target = hf["reconstruction_rss"][()]
        assert info.attrs["max"] == pytest.approx(float(target.max()))
        assert info.attrs["norm"] == pytest.approx(float(np.linalg.norm(target)), rel=1e-6)
        assert {"acquisition", "patient_id"} <= set(info.attrs)


def test_header_padding_round_trip():
    enc = parse_header(build_header((640, 368), (320, 320), 15, acquired=(20, 350)))
    assert enc.encoding_size == (640, 368, 1) and enc.recon_size == (320, 320, 1)
    assert (enc.padding_left, enc.padding_right) == (20, 350)


def test_per_volume_mask_seeding(sim_dir):
    func = create_mask("random", [0.2], [4])
    ds = SliceDataset(sim_dir, mask_func=func)
    by_volume = {}
    for sample in ds:
        by_volume.setdefault(sample.fname, []).append(sample.mask)
        assert (sample.kspace[..., ~sample.mask[0, 0]] == 0).all()
    for fname, masks in by_volume.items():
        assert all(torch.equal(m, masks[0]) for m in masks)  # every slice of a volume: one mask
        expected, _ = func((8, 96, 48), seed=tuple(map(ord, fname)))
        assert torch.equal(masks[0], expected.bool())
    a, b = by_volume.values()
    assert not torch.equal(a[0], b[0])
    again = SliceDataset(sim_dir, mask_func=create_mask("random", [0.2], [4]))
    assert all(torch.equal(x.mask, y.mask) for x, y in zip(ds, again))  # reproducible across runs


def test_padding_columns_are_masked(tmp_path, sim_dir):
    src = sorted(sim_dir.glob("*.h5"))[0]
    dst = tmp_path / src.name
    with h5py.File(src) as a, h5py.File(dst, "w") as b:
        for key in a:
            if key != "ismrmrd_header":
                b.create_dataset(key, data=a[key][()])
        b.attrs.update(dict(a.attrs))
        b.create_dataset("ismrmrd_header", data=build_header((96, 48), (48, 48), 8, acquired=(3, 45)))
    sample = SliceDataset(tmp_path)[0]
    assert not sample.mask[..., :3].any() and not sample.mask[..., 45:].any() and sample.mask[..., 3:45].all()
    assert (sample.kspace[..., :3] == 0).all()


def test_test_split_files(tmp_path):
    code, _, err = run_mri_cli(
        "simulate", str(tmp_path), "--slices", "2", "--size", "32", "40", "--coils", "4",
        "--mask", "equispaced_fraction", "--acceleration", "4", "--center-fraction", "0.1", "--no-progress",
    )
    assert code == 0, err
    (path,) = tmp_path.glob("*.h5")
    with h5py.File(path) as hf:
        assert "reconstruction_rss" not in hf and hf["mask"].shape == (40,)
        assert hf.attrs["acceleration"] == 4 and hf.attrs["num_low_frequencies"] == 4
        stored = hf["mask"][()]
    sample = SliceDataset(tmp_path)[0]
    assert torch.equal(sample.mask.reshape(-1), torch.from_numpy(stored))
    assert sample.num_low_frequencies == 4 and sample.target.numel() == 0 and sample.max_value == 0.0
    assert (sample.kspace[..., ~torch.from_numpy(stored)] == 0).all()
    # the mask is fastMRI's per-volume one for this file name
    expected, _ = create_mask("equispaced_fraction", [0.1], [4])((32, 40), seed=tuple(map(ord, path.name)))
    assert np.array_equal(expected.reshape(-1).numpy() > 0, stored)


def test_single_coil_files(tmp_path):
    code, _, err = run_mri_cli("simulate", str(tmp_path), "--slices", "2", "--size", "32", "32", "--single-coil", "--no-progress")
    assert code == 0, err
    info = inspect_volume(next(tmp_path.glob("*.h5")))
    assert info.challenge == "singlecoil" and info.target_key == "reconstruction_esc"
    sample = SliceDataset(tmp_path, challenge="singlecoil")[1]
    assert sample.kspace.shape == (1, 32, 32) and sample.num_coils == 1
    image = rss_from_kspace(sample.kspace.to(torch.complex128))
    assert ((image - sample.target).abs().max() / sample.target.max()).item() <= 1e-6
    with pytest.raises(MonarchError, match="expected multicoil"):
        SliceDataset(tmp_path, challenge="multicoil")


def _sample(c, h, w, name="a.h5", s=0):
    return SliceSample(torch.ones(c, h, w, dtype=torch.complex64), torch.ones(1, 1, w, dtype=torch.bool), 4,
                       torch.zeros(8, 8), name, s, 1.0, (8, 8), c)


def test_collate_pads_coils_and_refuses_mixed_sizes():
    batch = collate_slices([_sample(4, 16, 12), _sample(6, 16, 12, s=1)])
    assert batch.kspace.shape == (2, 6, 16, 12) and batch.num_coils.tolist() == [4, 6]
    assert (batch.kspace[0, 4:] == 0).all() and batch.mask.shape == (2, 1, 1, 12)
    assert batch.fname == ["a.h5", "a.h5"] and batch.crop_size.tolist() == [[8, 8], [8, 8]]
    with pytest.raises(MonarchError, match="ShapeBatchSampler"):
        collate_slices([_sample(4, 16, 12), _sample(4, 16, 14, name="b.h5")])


def test_shape_batch_sampler_and_loader(tmp_path):
    for width in (32, 40):
        code, _, err = run_mri_cli("simulate", str(tmp_path), "--slices", "3", "--size", "32", str(width), "--coils", "2",
                                   "--prefix", f"w{width}_", "--no-progress", "--seed", str(width))
        assert code == 0, err
    ds = SliceDataset(tmp_path)
    sampler = ShapeBatchSampler(ds, batch_size=2, seed=0)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(6)) and len(sampler) == 4
    for b in batches:
        assert len({tuple(ds.raw_samples[i].info.kspace_shape[-2:]) for i in b}) == 1
    loader = DataLoader(ds, batch_sampler=sampler, collate_fn=collate_slices)
    assert {tuple(batch.kspace.shape[-2:]) for batch in loader} == {(32, 32), (32, 40)}


def test_volume_sampler_keeps_volumes_on_one_rank(sim_dir):
    ds = SliceDataset(sim_dir)
    parts = [list(VolumeSampler(ds, num_replicas=2, rank=r, shuffle=False)) for r in range(2)]
    volumes = [{ds.raw_samples[i].info.path.name for i in p} for p in parts]
    assert len(volumes[0]) == len(volumes[1]) == 1 and volumes[0] != volumes[1]
    assert sorted(parts[0] + parts[1]) == list(range(6))
    shuffled = VolumeSampler(ds, num_replicas=2, rank=0, seed=1)
    assert sorted(shuffled) == parts[0]
    with pytest.raises(MonarchError, match="rank"):
        VolumeSampler(ds, num_replicas=2, rank=2)


def test_sample_rates(sim_dir):
    assert len(SliceDataset(sim_dir, volume_sample_rate=0.5)) == 3
    assert len(SliceDataset(sim_dir, sample_rate=0.5)) == 3
    with pytest.raises(MonarchError, match="not both"):
        SliceDataset(sim_dir, sample_rate=0.5, volume_sample_rate=0.5)


def test_simulate_from_user_images(tmp_path):
    rng = np.random.default_rng(0)
    image = np.abs(rng.standard_normal((40, 36))).cumsum(0)
    np.save(tmp_path / "knee.npy", np.stack([image, image[::-1]]))
    from PIL import Image

    Image.fromarray((255 * image / image.max()).astype(np.uint8)).save(tmp_path / "slice.png")
    out = tmp_path / "out"
    code, stdout, err = run_mri_cli("simulate", str(out), "--images", str(tmp_path / "knee.npy"), str(tmp_path / "slice.png"),
                                    "--coils", "4", "--no-noise", "--no-progress")
    assert code == 0, err
    a, b = inspect_volume(out / "knee.h5"), inspect_volume(out / "slice.h5")
    assert a.kspace_shape == (2, 4, 40, 36) and b.kspace_shape == (1, 4, 40, 36)
    with h5py.File(out / "knee.h5") as hf:
        target = hf["reconstruction_rss"][()]
    # noiseless: the target is the image times the coils' RSS (1 for sigpy's birdcage maps)
    assert np.allclose(target[0] / target[0].max(), image / image.max(), atol=1e-5)
    code, _, err = run_mri_cli("simulate", str(out), "--images", str(tmp_path / "knee.npy"), "--size", "32", "32", "--no-progress")
    assert code == 0 and inspect_volume(out / "knee.h5").kspace_shape == (2, 8, 32, 32)
