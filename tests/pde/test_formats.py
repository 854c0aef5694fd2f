import h5py
import numpy as np
import pytest
import scipy.io
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.pde import convert, describe_file, detect_format, load_data

from .conftest import write_v73


def check_ns(data, arrays):
    assert data.time_dependent and data.u.shape == (3, 5, 8, 8)
    assert np.array_equal(data.a.numpy(), arrays["a"])
    assert np.array_equal(data.u.numpy(), np.moveaxis(arrays["u"], -1, 1))
    assert np.array_equal(data.t.numpy(), arrays["t"].ravel())


def test_matlab_v5_round_trip(tmp_path, ns_arrays):
    path = tmp_path / "ns.mat"
    scipy.io.savemat(path, ns_arrays)
    assert detect_format(path) == "fno-mat"
    check_ns(load_data(path), ns_arrays)


def test_matlab_v73_round_trip_reverses_axes(tmp_path, ns_arrays):
    path = tmp_path / "ns73.mat"
    write_v73(path, ns_arrays)
    assert scipy.io.matlab.matfile_version(path) == (2, 0)  # what scipy says of a real v7.3 file
    check_ns(load_data(path), ns_arrays)
    assert describe_file(path)["arrays"]["u"]["shape"] == [3, 8, 8, 5]


def test_darcy_mat_is_a_steady_pair_on_nodes(tmp_path, darcy_arrays):
    for name, writer in (("v5.mat", scipy.io.savemat), ("v73.mat", write_v73)):
        path = tmp_path / name
        writer(path, darcy_arrays)
        data = load_data(path)
        assert not data.time_dependent and data.grid == "nodes"
        assert np.array_equal(data.a.numpy(), darcy_arrays["coeff"]) and np.array_equal(
            data.u.numpy(), darcy_arrays["sol"]
        )


def test_burgers_mat_without_time_axis_is_steady(tmp_path):
    arrays = {"a": np.random.rand(4, 16), "u": np.random.rand(4, 16)}
    scipy.io.savemat(tmp_path / "b.mat", arrays)
    data = load_data(tmp_path / "b.mat")
    assert data.t is None and np.array_equal(data.u.numpy(), arrays["u"])


def test_neuraloperator_pt_round_trip(tmp_path):
    x = torch.rand(5, 16, 16) > 0.5
    y = torch.randn(5, 16, 16)
    torch.save({"x": x, "y": y}, tmp_path / "darcy_train_16.pt")
    data = load_data(tmp_path / "darcy_train_16.pt")
    assert data.a.dtype == torch.float32 and torch.equal(data.a, x.float()) and torch.equal(data.u, y)
    assert describe_file(tmp_path / "darcy_train_16.pt")["arrays"]["x"] == {"shape": [5, 16, 16], "dtype": "bool"}


@pytest.mark.parametrize("edges", [False, True])
def test_pdebench_round_trip(tmp_path, edges):
    tensor = np.random.rand(3, 6, 16, 16).astype(np.float32)
    t = np.linspace(0, 1, 7 if edges else 6)
    with h5py.File(tmp_path / "2D_pde.hdf5", "w") as f:
        f["tensor"] = tensor
        f["t-coordinate"] = t
        f["x-coordinate"] = np.linspace(0, 1, 16)
        f["y-coordinate"] = np.linspace(0, 1, 16)
    data = load_data(tmp_path / "2D_pde.hdf5")
    assert detect_format(tmp_path / "2D_pde.hdf5") == "pdebench"
    assert np.array_equal(data.u.numpy(), tensor) and np.array_equal(data.t.numpy(), t[:6]) and data.a is None


def test_pdebench_darcy(tmp_path):
    nu, tensor = np.random.rand(2, 8, 8), np.random.rand(2, 1, 8, 8)
    with h5py.File(tmp_path / "darcy.hdf5", "w") as f:
        f["nu"], f["tensor"] = nu, tensor
    data = load_data(tmp_path / "darcy.hdf5")
    assert np.array_equal(data.a.numpy(), nu) and np.array_equal(data.u.numpy(), tensor[:, 0])


@pytest.mark.parametrize("layout", ["v5", "v73", "pt", "pdebench"])
def test_convert_to_our_layout_keeps_every_array(tmp_path, layout, ns_arrays):
    src = tmp_path / {"v5": "s.mat", "v73": "s73.mat", "pt": "s.pt", "pdebench": "s.h5"}[layout]
    if layout == "v5":
        scipy.io.savemat(src, ns_arrays)
    elif layout == "v73":
        write_v73(src, ns_arrays)
    elif layout == "pt":
        torch.save({"x": torch.from_numpy(ns_arrays["a"]), "y": torch.from_numpy(ns_arrays["a"] * 2)}, src)
    else:
        with h5py.File(src, "w") as f:
            f["tensor"] = np.moveaxis(ns_arrays["u"], -1, 1)
    original = load_data(src)
    out = convert(src, tmp_path / "ours.h5")
    again = load_data(out)
    assert detect_format(out) == "monarch" and not (tmp_path / "ours.h5.part").exists()
    assert torch.equal(again.u, original.u)
    assert (again.a is None) == (original.a is None) and (again.a is None or torch.equal(again.a, original.a))
    assert (again.t is None and original.t is None) or torch.equal(again.t, original.t)
    assert again.attrs["source_format"] == original.format


def test_keys_override(tmp_path):
    scipy.io.savemat(tmp_path / "k.mat", {"input": np.ones((2, 4, 4)), "output": np.zeros((2, 4, 4))})
    data = load_data(tmp_path / "k.mat", keys={"a": "input", "u": "output"})
    assert data.a.shape == (2, 4, 4)


# --- bad input ------------------------------------------------------------------------------------


def test_missing_key_names_file_key_and_keys_present(tmp_path):
    path = tmp_path / "bad.mat"
    scipy.io.savemat(path, {"a": np.ones((2, 4, 4)), "w": np.ones((2, 4, 4))})
    with pytest.raises(MonarchError, match=r"bad\.mat: missing key 'u' .*keys present: a, w"):
        load_data(path)
    write_v73(tmp_path / "bad73.mat", {"coeff": np.ones((2, 4, 4))})
    with pytest.raises(MonarchError, match=r"bad73\.mat: missing key 'sol' .*keys present: coeff"):
        load_data(tmp_path / "bad73.mat")
    torch.save({"x": torch.ones(2)}, tmp_path / "bad.pt")
    with pytest.raises(MonarchError, match=r"bad\.pt: missing key 'y' .*keys present: x"):
        load_data(tmp_path / "bad.pt")
    with h5py.File(tmp_path / "ns2d.h5", "w") as f:
        f["velocity"], f["force"] = np.ones((1, 2, 4, 4, 2)), np.ones((1, 4, 4, 2))
    with pytest.raises(MonarchError, match="HDF5 file of no known layout \\(keys present: force, velocity\\)"):
        load_data(tmp_path / "ns2d.h5")
    with pytest.raises(
        MonarchError, match=r"missing key 'tensor'.*'velocity' are not supported.*keys present: force, velocity"
    ):
        load_data(tmp_path / "ns2d.h5", format="pdebench")


def test_inconsistent_shapes(tmp_path):
    scipy.io.savemat(tmp_path / "n.mat", {"a": np.ones((3, 8, 8)), "u": np.ones((4, 8, 8, 5))})
    with pytest.raises(
        MonarchError, match=r"n\.mat: inconsistent shapes: 'a' \(3, 8, 8\) and 'u' .* different numbers of samples"
    ):
        load_data(tmp_path / "n.mat")
    scipy.io.savemat(tmp_path / "s.mat", {"coeff": np.ones((3, 8, 8)), "sol": np.ones((3, 9, 9))})
    with pytest.raises(
        MonarchError, match=r"'a' \(key 'coeff'\) \(3, 8, 8\) has space shape \(8, 8\) but 'u' \(key 'sol'\)"
    ):
        load_data(tmp_path / "s.mat")
    scipy.io.savemat(tmp_path / "t.mat", {"a": np.ones((3, 8, 8)), "u": np.ones((3, 8, 8, 5)), "t": np.ones((1, 4))})
    with pytest.raises(
        MonarchError,
        match=r"inconsistent shapes: 'u' \(3, 5, 8, 8\) should be \(N, R, \*space\) with R = len\('t'\) = 4",
    ):
        load_data(tmp_path / "t.mat")
    scipy.io.savemat(tmp_path / "d.mat", {"a": np.ones((3, 8, 8)), "u": np.ones((3, 8, 8, 5, 2))})
    with pytest.raises(MonarchError, match="should have the shape of 'a'"):
        load_data(tmp_path / "d.mat")


@pytest.mark.parametrize("kind", ["v5", "v73", "pt", "ours", "pdebench"])
def test_truncated_files_get_clear_errors(tmp_path, kind, ns_arrays):
    path = tmp_path / {"v5": "x.mat", "v73": "x73.mat", "pt": "x.pt", "ours": "x.h5", "pdebench": "p.h5"}[kind]
    if kind == "v5":
        scipy.io.savemat(path, ns_arrays)
    elif kind == "v73":
        write_v73(path, ns_arrays)
    elif kind == "pt":
        torch.save({"x": torch.randn(50, 8, 8), "y": torch.randn(50, 8, 8)}, path)
    elif kind == "ours":
        scipy.io.savemat(tmp_path / "src.mat", ns_arrays)
        convert(tmp_path / "src.mat", path)
    else:
        with h5py.File(path, "w") as f:
            f["tensor"] = np.random.rand(3, 6, 16, 16)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(MonarchError, match=r"(truncated|corrupt)") as info:
        load_data(
            path,
            format={"v5": "fno-mat", "v73": "fno-mat", "pt": "neuralop-pt", "ours": "monarch", "pdebench": "pdebench"}[
                kind
            ],
        )
    assert path.name in str(info.value)


def test_unknown_files_and_formats(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(MonarchError, match="unknown file type"):
        load_data(tmp_path / "notes.txt")
    with pytest.raises(MonarchError, match="no such file"):
        load_data(tmp_path / "missing.mat")
    (tmp_path / "x.mat").write_bytes(b"0" * 10)
    with pytest.raises(
        MonarchError, match="unknown data format 'zarr'; valid formats: monarch, fno-mat, neuralop-pt, pdebench"
    ):
        load_data(tmp_path / "x.mat", format="zarr")
