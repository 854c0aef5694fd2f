"""Smoke test of the projection benchmark (results only; timings are never asserted)."""

import torch

from monarch_sci.bench.projection import run


def test_run_reports_fields():
    result = run(n=64, repeat=2, dtype=torch.float64)
    assert result["n"] == 64 and result["dtype"] == "float64" and result["repeat"] == 2
    assert len(result["seconds"]) == 2 and result["seconds_median"] >= 0
    assert result["torch"] == torch.__version__ and result["threads"] == torch.get_num_threads()
