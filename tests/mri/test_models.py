"""Learned reconstructions: exact at init, adjoint / data-consistency identities, registry, bad input."""

import pytest
import torch

from monarch_sci.errors import MonarchError
from monarch_sci.mri import centered_fft2, sense, ssim
from monarch_sci.mri.models import (
    FourierPair, MSense, UNet, Unrolled, available_models, build_model, count_parameters,
)
from monarch_sci.mri.models.physics import sense_ops
from monarch_sci.mri.training_objective import ssim_map

H, W, C = 12, 10, 3


def problem(gen, batch=2, dtype=torch.complex128, shape=(C, H, W)):
    """Normalized random maps (coils, h, w), a column mask with the center sampled, masked k-space of a random image."""
    c, h, w = shape
    maps = torch.randn(batch, c, h, w, dtype=dtype, generator=gen)
    maps = maps / (maps.abs() ** 2).sum(1, keepdim=True).sqrt()
    mask = (torch.rand(batch, 1, 1, w, generator=gen) > 0.5).to(maps.real.dtype)
    mask[..., w // 2 - 1 : w // 2 + 1] = 1
    image = torch.randn(batch, h, w, dtype=dtype, generator=gen)
    kspace = centered_fft2((c, h, w))(maps * image[:, None]) * mask
    return kspace, mask, maps, image


def perturb(module, gen, scale=0.05):
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, dtype=p.dtype, generator=gen) * p.abs().mean())


@pytest.mark.parametrize("learn", ["none", "inverse", "forward", "both"])
def test_msense_at_init_is_sense(gen, learn):
    kspace, mask, maps, _ = problem(gen)
    ref = sense(kspace, mask, maps, lamda=1e-2, max_iter=5, tol=0)
    for materialize in (True, False):
        model = build_model("msense", (H, W), torch.float64, learn=learn, iterations=5, materialize=materialize)
        out = model(kspace, mask, maps)
        assert ((out - ref).abs().max() / ref.abs().max()).item() < 1e-12


def test_msense_with_no_iterations_is_the_adjoint(gen):
    kspace, mask, maps, _ = problem(gen)
    model = build_model("msense", (H, W), torch.float64, iterations=0)
    exact = sense_ops(FourierPair((H, W), learn="none"), mask, maps)
    assert torch.allclose(model(kspace, mask, maps), exact.A.H(kspace), atol=1e-12)


@pytest.mark.parametrize("structure", ["M", "MM*", "(MM*)^2"])
def test_fourier_pair_is_fft2c_at_init_and_random_init_is_not(gen, structure):
    x = torch.randn(C, H, W, dtype=torch.complex128, generator=gen)
    fft = centered_fft2((C, H, W))
    F, G = FourierPair((H, W), learn="both", structure=structure, dtype=torch.complex128).operators((C, H, W))
    assert torch.allclose(F(x), fft(x), atol=1e-12) and torch.allclose(G(x), fft.H(x), atol=1e-12)
    F, _ = FourierPair((H, W), learn="forward", init="random", dtype=torch.complex128,
                       generator=torch.Generator().manual_seed(0)).operators((C, H, W))
    assert (F(x) - fft(x)).abs().max() > 0.1


def test_learned_forward_keeps_an_exact_adjoint_and_both_unties_it(gen):
    kspace, mask, maps, _ = problem(gen, batch=1)
    pair = FourierPair((H, W), learn="forward", dtype=torch.complex128)
    perturb(pair, gen)
    ops = sense_ops(pair, mask, maps)
    x = torch.randn(1, H, W, dtype=torch.complex128, generator=gen)
    y = torch.randn(1, C, H, W, dtype=torch.complex128, generator=gen)
    lhs, rhs = torch.vdot(ops.A(x).flatten(), y.flatten()), torch.vdot(x.flatten(), ops.BH(y).flatten())
    assert abs(lhs - rhs) / abs(lhs) < 1e-12  # Bᴴ = Aᴴ for the perturbed forward transform
    pair = FourierPair((H, W), learn="both", dtype=torch.complex128)
    ops = sense_ops(pair, mask, maps)
    assert torch.allclose(ops.BH(y), ops.A.H(y), atol=1e-12)  # G = Fᴴ at init
    perturb(pair.inverse_dft, gen)
    ops = sense_ops(pair, mask, maps)
    assert (ops.BH(y) - ops.A.H(y)).abs().max() > 1e-3  # G now learns on its own


class Zero(torch.nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)


def test_unrolled_without_regularizer_is_gradient_descent_and_the_truth_is_a_fixed_point(gen):
    kspace, mask, maps, image = problem(gen)
    pair = FourierPair((H, W), learn="both", dtype=torch.complex128)
    perturb(pair, gen)
    net = Unrolled([pair], [Zero()] * 3, step=0.7, dtype=torch.complex128)
    A, BH = sense_ops(pair, mask, maps)
    exact = sense_ops(FourierPair((H, W), learn="none", dtype=torch.complex128), mask, maps)
    x = exact.BH(kspace)  # J = 0 from the exact adjoint (warm_start="exact")
    for _ in range(3):
        x = x - 0.7 * BH(A(x) - kspace)
    assert torch.allclose(net(kspace, mask, maps), x, atol=1e-12)
    assert exact.BH(exact.A(image) - kspace).abs().max() < 1e-12  # data consistency vanishes at the truth


def test_unrolled_monarch_equals_unrolled_fft_at_init_with_equal_network_parameters(gen):
    kspace, mask, maps, _ = problem(gen)
    fft = build_model("unrolled-fft", (H, W), torch.float64, cascades=2, chans=2, pools=1)
    monarch = build_model("unrolled-monarch", (H, W), torch.float64, cascades=2, chans=2, pools=1)
    assert torch.allclose(fft(kspace, mask, maps), monarch(kspace, mask, maps), atol=1e-10)
    a, b = count_parameters(fft), count_parameters(monarch)
    assert a["network"] == b["network"] == a["total"] and a["transforms"] == 0 < b["transforms"]
    per_cascade = build_model("unrolled-monarch", (H, W), cascades=2, chans=2, pools=1, share=False)
    assert count_parameters(per_cascade)["transforms"] == 2 * b["transforms"]


def test_unrolled_starts_at_sense(gen):
    kspace, mask, maps, _ = problem(gen)
    net = build_model("unrolled-monarch", (H, W), torch.float64, cascades=2, chans=2, pools=1, init_iterations=4, step=0.0)
    ref = sense(kspace, mask, maps, lamda=1e-2, max_iter=4, tol=0)
    assert torch.allclose(net(kspace, mask, maps), ref, atol=1e-12)  # zero-initialized regularizers, no DC step


def test_warm_start_is_exact_sense_or_msense_with_the_learned_transforms(gen):
    kspace, mask, maps, _ = problem(gen)
    options = dict(cascades=1, chans=2, pools=1, init_iterations=4, step=0.0, learn="inverse")
    exact = build_model("unrolled-monarch", (H, W), torch.float64, **options)
    learned = build_model("unrolled-monarch", (H, W), torch.float64, warm_start="learned", **options)
    learned.load_state_dict(exact.state_dict())  # the exact start's pair adds no state
    perturb(exact.transforms, gen)
    learned.transforms.load_state_dict(exact.transforms.state_dict())
    msense = build_model("msense", (H, W), torch.float64, learn="inverse", iterations=4)
    msense.transforms.load_state_dict(exact.transforms[0].state_dict())
    ref = sense(kspace, mask, maps, lamda=1e-2, max_iter=4, tol=0)
    assert torch.allclose(exact(kspace, mask, maps), ref, atol=1e-12)
    assert torch.allclose(learned(kspace, mask, maps), msense(kspace, mask, maps), atol=1e-12)
    assert (learned(kspace, mask, maps) - ref).abs().max() > 1e-3
    learned(kspace, mask, maps).abs().sum().backward()  # with step 0 only the start reaches the transforms
    assert all(p.grad.abs().max() > 0 for p in learned.transforms.parameters())
    with pytest.raises(MonarchError, match="warm_start must be one of"):
        build_model("unrolled-monarch", (H, W), warm_start="adjoint")
    with pytest.raises(MonarchError, match="apply to unrolled-monarch only"):
        build_model("unrolled-fft", (H, W), warm_start="learned")


def test_models_are_scale_equivariant(gen):
    kspace, mask, maps, _ = problem(gen)
    for name, options in (("msense", {}), ("unrolled-monarch", {"cascades": 1, "chans": 2, "pools": 1}),
                          ("unet", {"chans": 2, "pools": 1})):
        model = build_model(name, (H, W), torch.float64, **options)
        assert torch.allclose(model(3.5 * kspace, mask, maps), 3.5 * model(kspace, mask, maps), rtol=1e-9, atol=1e-12), name


def test_unet_matches_fastmri_parameter_count_and_any_size():
    assert sum(p.numel() for p in UNet(1, 1, chans=32, pools=4).parameters()) == 7_756_097
    assert UNet(2, 3, chans=2, pools=2)(torch.randn(1, 2, 13, 7)).shape == (1, 3, 13, 7)


def test_ssim_map_is_fastmri_ssim(gen):
    target = torch.rand(2, 20, 24, generator=gen, dtype=torch.float64)
    pred = target + 0.1 * torch.randn(2, 20, 24, generator=gen, dtype=torch.float64)
    for s in range(2):
        ours = ssim_map(pred[s : s + 1], target[s : s + 1], target.max().reshape(1)).mean().item()
        assert abs(ours - ssim(target[s], pred[s], maxval=target.max().item())) < 1e-12


def test_registry_and_bad_input_errors(gen):
    assert {"msense", "unrolled-monarch", "unrolled-fft", "unet"} <= set(available_models())
    with pytest.raises(MonarchError, match="valid models: msense"):
        build_model("varnet", (H, W))
    with pytest.raises(MonarchError, match="bad options for MRI model 'msense'"):
        build_model("msense", (H, W), cascades=3)
    with pytest.raises(MonarchError, match="apply to unrolled-monarch only"):
        build_model("unrolled-fft", (H, W), structure="M")
    with pytest.raises(MonarchError, match="learn must be one of"):
        build_model("msense", (H, W), learn="everything")
    with pytest.raises(MonarchError, match="structure must be one of"):
        build_model("msense", (H, W), structure="MMM")
    with pytest.raises(MonarchError, match="shape=\\(H, W\\)"):
        build_model("msense", (H,))
    with pytest.raises(MonarchError, match="iterations ≥ 0"):
        MSense((H, W), iterations=-1)
    kspace, mask, maps, _ = problem(gen)
    model = build_model("msense", (H, W), torch.float64)
    with pytest.raises(MonarchError, match="complex k-space"):
        model(kspace.real, mask, maps)
    with pytest.raises(MonarchError, match="coil maps of the k-space shape"):
        model(kspace, mask, maps[:, :2])
    with pytest.raises(MonarchError, match="mask"):
        model(kspace, mask[0, 0], maps)
    with pytest.raises(MonarchError, match="built for k-space \\(12, 12\\), got coil images \\(3, 12, 10\\)"):
        build_model("msense", (H, W + 2), torch.float64)(kspace, mask, maps)
