"""The FNO paper's parameter counts, and our FNO-2D+time against the original architecture."""

import torch
import torch.nn.functional as F
from torch import nn

from monarch_sci.pde.models import build_model, count_parameters


class OriginalFNO2dTime(nn.Module):
    """The FNO paper's FNO-2D for Navier–Stokes, written from the paper / fourier_2d_time.py layout:
    channels-last input (b, x, y, 10), grid appended, two complex corner weights per layer, four
    BatchNorm2d layers that are built but unused (they count in Table 1)."""

    def __init__(self, modes=8, width=20):
        super().__init__()
        self.m, self.width = modes, width
        self.fc0 = nn.Linear(12, width)
        scale = 1 / width**2
        self.w1 = nn.ParameterList(nn.Parameter(scale * torch.rand(width, width, modes, modes, dtype=torch.cfloat)) for _ in range(4))
        self.w2 = nn.ParameterList(nn.Parameter(scale * torch.rand(width, width, modes, modes, dtype=torch.cfloat)) for _ in range(4))
        self.w = nn.ModuleList(nn.Conv1d(width, width, 1) for _ in range(4))
        self.bn = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(width, 128), nn.Linear(128, 1)

    def spectral(self, x, i):
        m = self.m
        ft = torch.fft.rfft2(x)
        out = torch.zeros(x.shape[0], self.width, x.shape[-2], x.shape[-1] // 2 + 1, dtype=torch.cfloat)
        out[:, :, :m, :m] = torch.einsum("bixy,ioxy->boxy", ft[:, :, :m, :m], self.w1[i])
        out[:, :, -m:, :m] = torch.einsum("bixy,ioxy->boxy", ft[:, :, -m:, :m], self.w2[i])
        return torch.fft.irfft2(out, s=x.shape[-2:])

    def forward(self, x):
        b, sx, sy, _ = x.shape
        gx, gy = torch.meshgrid(torch.linspace(0, 1, sx), torch.linspace(0, 1, sy), indexing="ij")
        x = torch.cat([x, torch.stack([gx, gy], -1).expand(b, sx, sy, 2)], -1)
        x = self.fc0(x).permute(0, 3, 1, 2)
        for i in range(4):
            x = self.spectral(x, i) + self.w[i](x.reshape(b, self.width, -1)).view(b, self.width, sx, sy)
            if i < 3:
                x = F.gelu(x)
        x = self.fc2(F.gelu(self.fc1(x.permute(0, 2, 3, 1))))
        return x


def original_count(model):
    """The original code's count_params: complex tensors count as two reals."""
    return sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())


def test_fno2d_time_has_the_papers_414517_parameters():
    counts = count_parameters(build_model("fno2d-time", grid=(64, 64), modes=8, width=20))
    assert counts == {"torch": 209_557, "real": 414_357, "paper": 414_517, "transforms": 0}
    assert original_count(OriginalFNO2dTime(8, 20)) == 414_517  # the 160 extra: four unused BatchNorm2d(20)


def test_fno3d_has_the_papers_6558537_parameters():
    assert count_parameters(build_model("fno3d", grid=(64, 64), steps=40, modes=8, width=20))["paper"] == 6_558_537


def test_monarch_no_adds_only_transform_parameters():
    fno = count_parameters(build_model("fno2d-time", grid=(64, 64)))
    mno = count_parameters(build_model("monarch-no2d-time", grid=(64, 64)))
    assert mno["transforms"] > 0 and mno["torch"] == fno["torch"] + mno["transforms"]


def test_matches_the_original_architecture_with_the_same_weights(gen):
    torch.manual_seed(0)
    ref = OriginalFNO2dTime(4, 8)
    ours = build_model("fno2d-time", grid=(16, 16), modes=4, width=8)
    trunk = ours.trunk
    with torch.no_grad():
        trunk.lift.conv.weight.copy_(ref.fc0.weight[..., None])
        trunk.lift.conv.bias.copy_(ref.fc0.bias)
        for i in range(4):
            trunk.spectral[i].weight.copy_(torch.cat([ref.w2[i], ref.w1[i]], dim=2))  # negative rows first
            trunk.pointwise[i].conv.load_state_dict(ref.w[i].state_dict())
        trunk.project[0].conv.weight.copy_(ref.fc1.weight[..., None])
        trunk.project[0].conv.bias.copy_(ref.fc1.bias)
        trunk.project[2].conv.weight.copy_(ref.fc2.weight[..., None])
        trunk.project[2].conv.bias.copy_(ref.fc2.bias)
    x = torch.randn(2, 16, 16, 10, generator=gen)
    expected = ref(x)[..., 0]
    got = ours(x.permute(0, 3, 1, 2), steps=1)[:, 0]
    assert (got - expected).abs().max() <= 1e-5 * expected.abs().max()
