"""Gradients through the learned reconstructions (CG included): float64 gradcheck at small sizes."""

import pytest
import torch
from torch.func import functional_call

from monarch_sci.mri.models import FourierPair, Unrolled, build_model

from .test_models import problem

H, W = 6, 4


def small_problem(gen):
    return problem(gen, batch=1, shape=(2, H, W))


def check_parameter_gradients(model, inputs, gen):
    """gradcheck of ‖model(inputs)‖-weighted output w.r.t. every trainable parameter (complex included)."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    params = tuple(p.detach().clone().requires_grad_() for n, p in model.named_parameters() if p.requires_grad)
    weight = torch.randn(model(*inputs).shape, dtype=torch.float64, generator=gen)

    def f(*values):
        out = functional_call(model, dict(zip(names, values)), inputs)
        return ((out.abs() if out.is_complex() else out) * weight).sum()

    assert torch.autograd.gradcheck(f, params, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("learn,structure", [("inverse", "M"), ("forward", "M"), ("both", "MM*")])
def test_msense_gradients_through_cg(gen, learn, structure):
    kspace, mask, maps, _ = small_problem(gen)
    model = build_model("msense", (H, W), torch.float64, learn=learn, structure=structure, iterations=3)
    check_parameter_gradients(model, (kspace, mask, maps), gen)


def test_msense_gradient_with_respect_to_kspace(gen):
    kspace, mask, maps, _ = small_problem(gen)
    model = build_model("msense", (H, W), torch.float64, iterations=3, materialize=False)
    assert torch.autograd.gradcheck(lambda k: model(k, mask, maps).abs().sum(), (kspace.requires_grad_(),), eps=1e-6, atol=1e-6)


class TinyRegularizer(torch.nn.Module):
    """A 3×3 conv on (re, im): a smooth stand-in for the NormUNet (InstanceNorm at 6×4 is ill-conditioned)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 2, 3, padding=1, dtype=torch.float64)

    def forward(self, x):
        z = self.conv(torch.view_as_real(x).permute(0, 3, 1, 2))
        return torch.view_as_complex(z.permute(0, 2, 3, 1).contiguous())


def test_unrolled_gradients_reach_transforms_steps_and_regularizers(gen):
    kspace, mask, maps, _ = small_problem(gen)
    net = Unrolled([FourierPair((H, W), learn="both", dtype=torch.complex128)], [TinyRegularizer() for _ in range(2)],
                   dtype=torch.complex128)
    check_parameter_gradients(net, (kspace, mask, maps), gen)


def test_unet_and_normunet_gradients(gen):
    kspace, mask, maps, _ = small_problem(gen)
    kspace = torch.nn.functional.pad(kspace, (2, 2, 1, 1))  # 8 × 8: InstanceNorm needs more than one pixel per level
    model = build_model("unet", (8, 8), torch.float64, chans=1, pools=1)
    check_parameter_gradients(model, (kspace, None, None), gen)
