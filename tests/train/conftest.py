import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Small models run fastest on one thread, and OpenMP spinning on a busy machine costs 20x."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
