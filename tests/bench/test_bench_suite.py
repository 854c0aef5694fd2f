"""The benchmark suite on CPU at toy sizes: rows, floors, errors, JSON output, bad names."""

import json

import pytest

from monarch_sci.bench.suite import format_table, main, run
from monarch_sci.errors import MonarchError


def test_run_reports_every_method_and_pass():
    result = run(device="cpu", ns=[16], batches=[4], dtypes=["float32", "complex64"], repeat=3, warmup_ms=1,
                 bandwidth=1e10)
    rows = result["rows"]
    found = {(r["dtype"], r["method"], r["pass"]) for r in rows}
    assert ("float32", "bmm", "fwdbwd") in found and ("float32", "dense", "fwd") in found
    assert ("complex64", "fft", "fwd") in found and not any(m == "fused" for _, m, _ in found)  # CPU: no kernels
    for r in rows:
        assert r["us"] > 0 and r["frac_floor"] == pytest.approx(r["floor_us"] / r["us"])
        assert r["err"] < 1e-5  # every method computes the same map (the DFT for complex64)
    assert result["meta"]["device_type"] == "cpu" and "torch" in result["meta"]
    assert "bmm" in format_table(result)


def test_main_writes_json_with_the_command(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--n", "16", "--batch", "2", "--dtype", "float32", "--method", "bmm",
            "--pass", "fwd", "--repeat", "3", "--bandwidth", "1e10", "--out", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["meta"]["command"] == "monarch-sci bench " + " ".join(argv)
    assert [r["method"] for r in result["rows"]] == ["bmm"]
    assert "bmm" in capsys.readouterr().out


def test_cli_subcommand(tmp_path, capsys):
    from monarch_sci.cli.main import main as cli

    out = tmp_path / "bench.json"
    argv = ["bench", "--device", "cpu", "--n", "16", "--batch", "2", "--dtype", "float32", "--method", "dense",
            "--pass", "fwd", "--repeat", "3", "--bandwidth", "1e10", "--out", str(out)]
    assert cli(argv) == 0
    assert [r["method"] for r in json.loads(out.read_text())["rows"]] == ["dense"]


def test_unknown_names_are_rejected():
    with pytest.raises(MonarchError, match="unknown bench dtype"):
        run(device="cpu", ns=[16], batches=[2], dtypes=["float8"], bandwidth=1e10)


def test_steps_time_each_monarch_model_against_its_twin_in_the_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--n", "16", "--batch", "2", "--dtype", "float32", "bfloat16", "--method", "dense",
            "--pass", "fwd", "--repeat", "2", "--bandwidth", "1e10", "--steps", "linear", "mri", "ns", "--out", str(out)]
    assert main(argv) == 0
    steps = json.loads(out.read_text())["steps"]
    linear = [e for e in steps if e["entry"] == "linear"]
    assert {(e["settings"]["nblocks"], e["settings"]["dtype"]) for e in linear} == {
        (4, "float32"), (4, "bfloat16"), (16, "float32"), (16, "bfloat16")}
    for e in steps:
        if e["entry"] == "ns":
            assert e["times_floor"] == pytest.approx(e["ms"] / e["floor_ms"]) and e["settings"]["n"] == 64
        else:
            assert e["monarch_ms"] > 0 and e["ratio"] == pytest.approx(e["monarch_ms"] / e["baseline_ms"])
    assert [e["entry"] for e in steps] == ["linear"] * 4 + ["mri", "ns"]
    assert "MonarchLinear / nn.Linear (16 blocks, bfloat16)" in capsys.readouterr().out


def test_unknown_steps_are_rejected_before_anything_runs():
    with pytest.raises(MonarchError, match="unknown bench steps \\['resnet'\\]"):
        run(device="cpu", ns=[16], batches=[2], dtypes=["float32"], steps=("resnet",), bandwidth=1e10)


def test_nblocks_benches_other_block_counts():
    result = run(device="cpu", ns=[64], nblocks=[2, 8], batches=[3], dtypes=["float32"], methods=["bmm", "dense"],
                 passes=("fwd",), repeat=2, warmup_ms=1, bandwidth=1e10)
    assert sorted({(r["nblocks"], r["method"]) for r in result["rows"]}) == [(2, "bmm"), (2, "dense"), (8, "bmm"),
                                                                            (8, "dense")]
    assert all(r["err"] < 1e-5 for r in result["rows"])  # dense is built from the same factors
    assert " 8 " in format_table(result).splitlines()[-1]


@pytest.mark.parametrize("nblocks, dtype, message", [(3, "float32", "nblocks must divide n"),
                                                     (4, "complex64", "drop --nblocks")])
def test_nblocks_rejects_what_it_cannot_bench(nblocks, dtype, message):
    with pytest.raises(MonarchError, match=message):
        run(device="cpu", ns=[64], nblocks=[nblocks], batches=[2], dtypes=[dtype], repeat=2, warmup_ms=1, bandwidth=1e10)
