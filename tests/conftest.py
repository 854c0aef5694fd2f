import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Tests use small tensors: one thread is fastest, and OpenMP spinning on a busy 2-core machine costs 20x."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def gen():
    """A seeded torch generator: every test draws reproducible random inputs."""
    return torch.Generator().manual_seed(1234)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max |b| (max |a - b| when b is zero)."""
    scale = b.abs().max().item()
    return (a - b).abs().max().item() / (scale if scale > 0 else 1.0)
