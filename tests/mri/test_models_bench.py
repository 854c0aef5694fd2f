"""The H200 step-time benchmark of the MRI models runs (tiny sizes on CPU) and reports Monarch / FFT ratios."""

import json

import pytest
import torch

from monarch_sci.bench import mri_step
from monarch_sci.errors import MonarchError
from monarch_sci.mri.models import build_model
from monarch_sci.train.graphed import GraphedStep


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
    assert result["meta"]["tf32"] is False
    assert result["meta"]["device"] == "cpu" and result["meta"]["device_name"]  # the name is not overwritten
    mri_step.main(["--device", "cpu", "--shape", "16", "16", "--coils", "2", "--batch", "1", "--repeats", "1",
                   "--warmup", "1", "--pairs", "msense", "--structure", "M", "--materialize", "true", "--tf32",
                   "--out", str(out)])
    assert json.loads(out.read_text())["meta"]["tf32"] is True
    assert torch.backends.cuda.matmul.allow_tf32 is False  # the process's setting is restored
    with pytest.raises(MonarchError, match="unknown MRI bench pairs"):
        mri_step.run(pairs=("varnet",))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name, options", [("msense", {"learn": "inverse"}), ("unrolled-monarch", {"learn": "both"})])
def test_mri_training_step_replays_from_a_cuda_graph_with_the_eager_gradients(name, options):
    model = build_model(name, (32, 32), **options).cuda()
    params = [p for p in model.parameters() if p.requires_grad]
    kspace, mask, maps, target = mri_step._inputs((32, 32), 2, 2, "cuda", 0)

    def forward_backward(_batch=()):
        loss = (model(kspace, mask, maps).abs() - target).abs().mean()
        loss.backward()
        return loss.detach()

    eager_loss = forward_backward()
    eager = [p.grad.clone() for p in params]
    model.zero_grad(set_to_none=True)
    graphed = GraphedStep(params, forward_backward)
    for _ in range(2):  # the capture, then a pure replay
        loss = graphed(())
    torch.testing.assert_close(loss, eager_loss)
    for p, g in zip(params, eager):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)
