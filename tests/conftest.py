import pytest
import torch


@pytest.fixture
def gen():
    """A seeded torch generator: every test draws reproducible random inputs."""
    return torch.Generator().manual_seed(1234)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max |b| (max |a - b| when b is zero)."""
    scale = b.abs().max().item()
    return (a - b).abs().max().item() / (scale if scale > 0 else 1.0)
