"""The H200 step-time benchmark of the MRI models runs (tiny sizes on CPU) and reports Monarch / FFT ratios."""

import json

import pytest

from monarch_sci.bench import mri_step
from monarch_sci.errors import MonarchError


def test_mri_step_bench_reports_ratios(tmp_path, capsys):
    out = tmp_path / "step.json"
    code = mri_step.main(["--device", "cpu", "--shape", "16", "16", "--coils", "2", "--batch", "1", "--repeats", "1",
                          "--warmup", "1", "--structure", "M", "--materialize", "true", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert {r["pair"] for r in result["ratios"]} == set(mri_step.PAIRS)
    assert all(r["ratio"] > 0 and r["fft_ms"] > 0 for r in result["ratios"])
    fft_rows = [r for r in result["rows"] if r["role"] == "fft"]
    assert len(fft_rows) == 2 and fft_rows[0]["parameters"] == 0  # SENSE-CG is timed once for both mSENSE pairs
    assert "ratio" in capsys.readouterr().out
    with pytest.raises(MonarchError, match="unknown MRI bench pairs"):
        mri_step.run(pairs=("varnet",))
