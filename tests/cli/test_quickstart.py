"""`monarch-sci quickstart --quick`: the whole main job (data, FNO vs Monarch-NO, table, plots) on a tiny problem."""

import json
import math

import pytest

from monarch_sci import MonarchError
from monarch_sci.cli.main import main
from monarch_sci.pde.experiments.quickstart import MODELS, VARIANTS, quickstart


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    import torch

    threads = torch.get_num_threads()  # quickstart sets torch's thread count for the process
    out = tmp_path_factory.mktemp("quickstart") / "run"
    code = main(["quickstart", "--quick", "--out", str(out), "--device", "cpu", "--no-progress"])
    yield code, out
    torch.set_num_threads(threads)


def test_quick_variant_runs_end_to_end(quick_run, capsys):
    code, out = quick_run
    assert code == 0
    summary = json.loads((out / "quickstart.json").read_text())
    assert summary["status"] == "finished" and summary["variant"] == "quick"
    table = summary["table"]
    assert set(table) == {*MODELS, "persistence"}
    for name, row in table.items():
        assert math.isfinite(row["rel_l2"]) and row["rel_l2"] > 0, name
        assert math.isfinite(row["ratio_to_persistence"]), name
    for name in MODELS:
        assert table[name]["epochs"] == VARIANTS["quick"]["epochs"]
        assert table[name]["parameters"] > 0 and table[name]["seconds_per_epoch"] > 0
    # Monarch-NO is FNO plus the learnable transform factors
    assert table["monarch-no2d-time"]["parameters"] > table["fno2d-time"]["parameters"]
    # true at this size: 20 short epochs take both models well below persistence (about 0.08 vs 0.19)
    for name in MODELS:
        assert table[name]["rel_l2"] < 0.75 * table["persistence"]["rel_l2"], name
    compare = json.loads((out / "compare.json").read_text())
    assert compare["results"]["fno2d-time"]["rel_l2"] == table["fno2d-time"]["rel_l2"]
    assert compare["data"]["n_train"] == VARIANTS["quick"]["n_train"]
    for png in ("error_per_step.png", "fields.png", "test_error.png"):
        assert (out / png).is_file(), png
    assert all(math.isfinite(v) for v in summary["seconds"].values())


def test_rerun_continues_without_training_and_prints_the_same_table(quick_run, capsys):
    code, out = quick_run
    assert code == 0
    before = json.loads((out / "quickstart.json").read_text())["table"]
    assert main(["quickstart", "--quick", "--out", str(out), "--device", "cpu", "--no-progress", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "already generated" in printed and "persistence" in printed and "monarch-no2d-time" in printed
    after = json.loads((out / "quickstart.json").read_text())
    assert after["table"] == before
    assert after["seconds"]["data"] == 0.0


def test_another_variant_in_the_same_directory_is_an_error(quick_run):
    _, out = quick_run
    with pytest.raises(MonarchError, match="other settings"):
        quickstart(out, device="cpu", quick=False, progress=False)


def test_a_foreign_non_empty_directory_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["quickstart", "--quick", "--out", str(tmp_path), "--device", "cpu", "--no-progress"]) == 2
    assert "holds no quickstart run" in capsys.readouterr().err


def test_bad_options_are_refused_before_anything_is_written(tmp_path, capsys):
    import torch

    out = tmp_path / "qs"
    assert main(["quickstart", "--quick", "--out", str(out), "--threads", "0"]) == 2
    assert "threads must be a positive integer" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["quickstart", "--quick", "--out", str(out), "--device", "cuda"]) == 2
        assert "CUDA is not available" in capsys.readouterr().err
    assert not out.exists()
