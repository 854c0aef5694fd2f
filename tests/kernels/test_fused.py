"""The fused Triton Monarch kernels against the float64 einsum reference: outputs and all gradients.

GPU tests are marked ``gpu`` and skip without CUDA; the CPU tests pin the dispatch and the lazy import.
"""

import subprocess
import sys

import pytest
import torch

from monarch_sci.kernels import WIDE_MIN_BATCH, fused_supported, use_fused
from monarch_sci.monarch.apply import forward_einsum, adjoint_einsum, monarch_apply
from tests.interpreted import needs_triton, run_interpreted

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device (the fused kernels are Triton on GPU)")

# (R shape (k, q, p), L shape (l, s, r)) with k*q == l*r: square, rectangular, non-power-of-two
SHAPES = [
    ((16, 16, 16), (16, 16, 16)),
    ((32, 32, 32), (32, 32, 32)),
    ((64, 64, 64), (64, 64, 64)),
    ((4, 24, 16), (8, 20, 12)),
    ((6, 10, 7), (12, 9, 5)),
    ((3, 8, 5), (4, 6, 6)),
    ((2, 72, 40), (2, 40, 72)),  # complex: 144-wide real blocks, several output and input tiles per block
]
TOLERANCE = {torch.float32: 1e-5, torch.complex64: 1e-5, torch.bfloat16: 1e-2, torch.float16: 5e-3}


def random_shapes(count: int, seed: int):
    """Random factor shapes (k, q, p), (l, s, r) with k*q == l*r, blocks from 1 to 40 wide."""
    g = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < count:
        k, q, p, s = (int(v) for v in torch.randint(1, 41, (4,), generator=g))
        divisors = [d for d in range(1, k * q + 1) if (k * q) % d == 0 and (k * q) // d <= 40]
        l = divisors[int(torch.randint(len(divisors), (1,), generator=g))]
        out.append(((k, q, p), (l, s, k * q // l)))
    return out


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    """||a - b|| / ||b|| in float64."""
    a, b = a.detach().to(torch.complex128 if b.is_complex() else torch.float64), b.detach()
    return ((a - b).norm() / b.norm().clamp_min(1e-300)).item()


def check(Rs, Ls, dtype, batch, adjoint, config=None, device="cuda"):
    """fused_apply's output and x, R, L gradients against the float64 einsum path (device "cpu" runs
    the kernels in Triton's interpreter, TRITON_INTERPRET=1)."""
    from monarch_sci.kernels.fused import fused_apply

    g = torch.Generator(device=device).manual_seed(hash((Rs, Ls, batch)) % 2**31)
    ref_dtype = torch.complex128 if dtype.is_complex else torch.float64
    R64 = torch.randn(*Rs, dtype=ref_dtype, device=device, generator=g) / Rs[2] ** 0.5
    L64 = torch.randn(*Ls, dtype=ref_dtype, device=device, generator=g) / Ls[2] ** 0.5
    (k, _, p), (l, s, _) = Rs, Ls
    n_in = s * l if adjoint else k * p
    x64 = torch.randn(*batch, n_in, dtype=ref_dtype, device=device, generator=g)
    R, L, x = (t.to(dtype).requires_grad_() for t in (R64, L64, x64))
    R64, L64, x64 = (t.to(dtype).to(ref_dtype).requires_grad_() for t in (R64, L64, x64))
    y = fused_apply(x, R, L, adjoint=adjoint, config=config)
    y64 = (adjoint_einsum if adjoint else forward_einsum)(x64, R64, L64)
    gy = torch.randn(y64.shape, dtype=ref_dtype, device=device, generator=g)
    grads = torch.autograd.grad(y, (x, R, L), gy.to(dtype))
    grads64 = torch.autograd.grad(y64, (x64, R64, L64), gy)
    tol = TOLERANCE[dtype]
    assert y.shape == y64.shape and y.dtype == dtype
    assert rel(y, y64) <= tol, f"output error {rel(y, y64):.2e} > {tol}"
    for name, a, b in zip(("x", "R", "L"), grads, grads64):
        assert rel(a, b) <= tol, f"grad {name} error {rel(a, b):.2e} > {tol}"


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("adjoint", [False, True], ids=["M", "MH"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16, torch.complex64],
                         ids=["f32", "bf16", "f16", "c64"])
@pytest.mark.parametrize("shapes", SHAPES + random_shapes(3, seed=7), ids=lambda s: f"{s[0]}x{s[1]}")
def test_matches_reference(shapes, dtype, adjoint, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    check(*shapes, dtype, (37,), adjoint)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("batch", [(1,), (3, 50), (2500,), (9001,)], ids=["1", "3x50", "2500", "9001"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["f32", "bf16"])
def test_batches(batch, dtype, monkeypatch):
    """bf16 takes the one-launch forward, whose programs each run over several row tiles at batch 9001."""
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    check((32, 32, 32), (32, 32, 32), dtype, batch, False)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_b32_cuda_forward_and_its_fallback(dtype):
    """2-byte factors of 32 blocks of 32 take the CUDA kernel on sm_90+ (``_forward_b32``), a 16-byte
    misaligned x the Triton kernel; both match the float64 reference, and each other to a rounding."""
    from monarch_sci.kernels import _forward_b32
    from monarch_sci.kernels.fused import fused_apply, make_config

    if torch.cuda.get_device_capability() < (9, 0):
        pytest.skip("the CUDA kernel needs compute capability 9.0")
    g = torch.Generator(device="cuda").manual_seed(3)
    R64, L64 = (torch.randn(32, 32, 32, dtype=torch.float64, device="cuda", generator=g) / 32 ** 0.5 for _ in range(2))
    flat = torch.randn(777 * 1024 + 1, dtype=torch.float64, device="cuda", generator=g).to(dtype)
    R, L = R64.to(dtype), L64.to(dtype)
    aligned, misaligned = flat[:-1].view(777, 1024), flat[1:].view(777, 1024)
    assert _forward_b32.applies(aligned, R, L) and not _forward_b32.applies(misaligned, R, L)
    triton = {**make_config((32,) * 6 + (1,), 2, 1024)}
    triton["whole"] = {**triton["whole"], "cuda": False}
    ulp = 2 ** -7 if dtype == torch.bfloat16 else 2 ** -10
    for x in (aligned, misaligned):
        y = fused_apply(x, R, L)
        y64 = forward_einsum(x.double(), R.double(), L.double())
        assert rel(y, y64) <= TOLERANCE[dtype]
        y_triton = fused_apply(x, R, L, config=triton)
        assert (y.float() - y_triton.float()).abs().max() <= 2 * ulp * y_triton.float().abs().max()


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_l_stage_b64_cuda_kernel_and_its_fallback(dtype, monkeypatch):
    """2-byte factors of 64 blocks of 64 take the CUDA L stage (``_l_stage_b64``, from 1024 rows by default) where the
    batch is a multiple of 8 (1000: a part-filled last tile; 8: one part-filled tile), M x and the backward of M^T x
    alike, and the Triton L stage and transpose otherwise (21 rows); all match the float64 reference, and the two
    paths match each other to a rounding."""
    from monarch_sci.kernels import _l_stage_b64
    from monarch_sci.kernels.fused import fused_apply, make_config

    calls = []
    original = _l_stage_b64.l_stage
    monkeypatch.setattr(_l_stage_b64, "l_stage", lambda u, L: calls.append(u.shape[1]) or original(u, L))
    large = make_config((64,) * 6 + (1,), 2, 1024)
    assert large["t2"]["cuda"] and not make_config((64,) * 6 + (1,), 2, 512)["t2"]["cuda"]  # from 1024 rows
    for batch, adjoint in (((1000,), False), ((8,), False), ((3, 7), False), ((1000,), True)):
        check((64, 64, 64), (64, 64, 64), dtype, batch, adjoint, config=large)
    assert calls == [1000, 8, 1000]  # the forwards at 1000 and 8 rows, then the adjoint's backward (gx = M gy)
    g = torch.Generator(device="cuda").manual_seed(5)
    R, L = (torch.randn(64, 64, 64, device="cuda", generator=g).div(8).to(dtype) for _ in range(2))
    x = torch.randn(1000, 4096, device="cuda", generator=g).to(dtype)
    y = fused_apply(x, R, L, config=large)
    y_triton = fused_apply(x, R, L, config={**large, "t2": {**large["t2"], "cuda": False}})
    ulp = 2 ** -7 if dtype == torch.bfloat16 else 2 ** -10
    assert (y.float() - y_triton.float()).abs().max() <= 2 * ulp * y_triton.float().abs().max()


WIDE_SHAPES = [((4, 1024, 1024), (4, 1024, 1024)), ((16, 256, 256), (16, 256, 256)), ((3, 516, 40), (6, 30, 258)),
               ((2, 768, 600), (3, 520, 512))]


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=["f32", "bf16", "f16"])
@pytest.mark.parametrize("shapes", WIDE_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_wide_blocks_match_reference(shapes, dtype, monkeypatch):
    """Blocks 256 wide and wider (l | q; l = 3 and 6 are not powers of two) run as cuBLAS GEMMs and Triton
    permutations, which ``monarch_apply(impl="auto")`` takes from 1024 rows."""
    from monarch_sci.kernels import _wide

    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    calls = []
    original = _wide.WideMonarch.apply
    monkeypatch.setattr(_wide.WideMonarch, "apply", lambda *a: calls.append(1) or original(*a))
    for batch in ((300,), (2, 33)):
        check(*shapes, dtype, batch, False)
    assert len(calls) == 2
    (k, _, p), R, L = shapes[0], torch.zeros(shapes[0], device="cuda", dtype=dtype), torch.zeros(shapes[1], device="cuda", dtype=dtype)
    assert use_fused(torch.zeros(WIDE_MIN_BATCH, k * p, device="cuda", dtype=dtype), R, L)
    assert not use_fused(torch.zeros(64, k * p, device="cuda", dtype=dtype), R, L)  # 64 rows: the bmm path


def test_wide_blocks_only_where_the_permutation_moves_runs():
    from monarch_sci.kernels import wide_blocks

    R, L, x = torch.zeros(4, 1024, 1024), torch.zeros(4, 1024, 1024), torch.zeros(2, 4096)
    assert wide_blocks(x, R, L)
    assert not wide_blocks(x, R, L, adjoint=True)  # M^H x stays on the Triton kernels or bmm
    assert not wide_blocks(x.cfloat(), R.cfloat(), L.cfloat())  # complex
    assert wide_blocks(torch.zeros(2, 1024), torch.zeros(4, 256, 256), torch.zeros(4, 256, 256))
    assert not wide_blocks(torch.zeros(2, 1024), torch.zeros(8, 128, 128), torch.zeros(8, 128, 128))  # 128 wide
    assert not wide_blocks(torch.zeros(2, 3 * 600), torch.zeros(3, 700, 600), torch.zeros(6, 600, 350))  # 6 ∤ 700
    assert not fused_supported(x, R, L)  # on the CPU


def test_l_stage_b64_only_for_its_case():
    from monarch_sci.kernels import _l_stage_b64

    u, L = torch.zeros(4096, 16, dtype=torch.bfloat16), torch.zeros(64, 64, 64, dtype=torch.bfloat16)
    assert not _l_stage_b64.applies(u, L)  # not on CUDA
    if CUDA:
        u, L = u.cuda(), L.cuda()
        if torch.cuda.get_device_capability() >= (9, 0):  # 192 KiB of shared memory in one block
            assert _l_stage_b64.applies(u, L)
        assert not _l_stage_b64.applies(u[:, :12], L)  # a batch not a multiple of 8 (and strided)
        assert not _l_stage_b64.applies(torch.zeros(4096, 12, dtype=u.dtype, device="cuda"), L)
        assert not _l_stage_b64.applies(u.float(), L.float())  # float32
        assert not _l_stage_b64.applies(u[:2048], L[:32])  # other blocks


def test_b32_cuda_forward_only_for_its_case():
    from monarch_sci.kernels import _forward_b32

    x, W = torch.zeros(8, 1024, dtype=torch.bfloat16), torch.zeros(32, 32, 32, dtype=torch.bfloat16)
    assert not _forward_b32.applies(x, W, W)  # not on CUDA
    if CUDA:
        x, W = x.cuda(), W.cuda()
        assert not _forward_b32.applies(x.float(), W.float(), W.float())  # float32
        assert not _forward_b32.applies(x[:, :512], W[:16], W[:16])  # other blocks
        assert not _forward_b32.applies(x, W.transpose(1, 2), W)  # a non-contiguous factor


INTERPRETED = """
import itertools, torch
from tests.kernels.test_fused import check
from monarch_sci.kernels.fused import make_config
shapes = [((6, 10, 7), (12, 9, 5)), ((4, 24, 16), (8, 20, 12)), ((2, 72, 40), (2, 40, 72))]
for (Rs, Ls), dtype, adjoint, wgrad in itertools.product(shapes, (torch.float32, torch.complex64), (False, True),
                                                         (False, True)):  # the weight gradients by bmm / in the stages
    config = {**make_config((*Rs, *Ls, 2 if dtype.is_complex else 1), 4, 64), "wgrad": wgrad}
    check(Rs, Ls, dtype, (37,), adjoint, config=config, device="cpu")
config = make_config((4, 24, 16, 8, 20, 12, 1), 4, 300)  # 3 tiles of 128 rows: the weight gradients' sums in
config = {**config, "s1g": {**config["s1g"], "groups": 2}, "t2": {**config["t2"], "groups": 2}, "wgrad": True}
for tf32 in (False, True):  # 3 programs of one tile (3xTF32), 2 programs of up to two tiles (TF32)
    torch.backends.cuda.matmul.allow_tf32 = tf32
    check((4, 24, 16), (8, 20, 12), torch.float32, (300,), False, config=config, device="cpu")
for Rs, Ls in (((2, 512, 64), (4, 64, 256)), ((3, 516, 40), (6, 30, 258))):  # wide blocks: bmm and interleaves
    check(Rs, Ls, torch.float32, (5,), False, device="cpu")
from monarch_sci.kernels import _wide
_wide.GRID_Y = 1  # z (40, 4*64) from Z2 (4, 40*64) in three launches of 1024 columns
check((2, 512, 64), (4, 64, 256), torch.float32, (40,), False, device="cpu")
print("ok")
"""

INTERPRETED_ONE_LAUNCH = """
import itertools, torch
from tests.kernels.test_fused import check
from monarch_sci.kernels.fused import make_config
cases = (((16, 16, 16), (16, 16, 16), 64), ((32, 16, 32), (16, 32, 32), 4096),
         ((16, 32, 16), (32, 16, 16), 64))  # the last: two programs along the 32 L blocks
for (Rs, Ls, batch), prefetch in itertools.product(cases, (False, True)):
    config = make_config((*Rs, *Ls, 1), 2, batch)
    config = {**config, "whole": {**config["whole"], "programs": 2, "prefetch": prefetch}}  # 3 row tiles on 2
    check(Rs, Ls, torch.float16, (37,), False, config=config, device="cpu")
print("ok")
"""


def _triton_version() -> tuple:
    from importlib.metadata import version

    return tuple(int(part) for part in version("triton").split(".")[:2])


@needs_triton
def test_kernels_match_reference_in_the_triton_interpreter():
    """The kernels' index arithmetic (permutations, masks, tiles, complex pairs, the weight gradients summed over
    row tiles and their groups) without a GPU."""
    run_interpreted(INTERPRETED)


@needs_triton
def test_one_launch_forward_matches_reference_in_the_triton_interpreter():
    """The one-launch forward with programs running over several row tiles, prefetching or not."""
    if _triton_version() < (3, 9):
        pytest.skip("Triton's interpreter before 3.9 cannot run loops with run-time bounds under NumPy 2.4 "
                    "(it converts the bound, a 1-element array, with int())")
    run_interpreted(INTERPRETED_ONE_LAUNCH)


def test_one_launch_forward_only_for_small_square_two_byte_factors():
    from monarch_sci.kernels.fused import make_config

    def whole(dims, itemsize=2, batch=8192):
        return "whole" in make_config(dims, itemsize, batch)

    assert whole((16, 16, 16, 16, 16, 16, 1)) and whole((32, 32, 32, 32, 32, 32, 1))
    assert whole((16, 32, 16, 32, 16, 16, 1))  # rectangular blocks, l = q and r = k
    assert not whole((16, 16, 16, 16, 16, 16, 1), itemsize=4)  # float32: weights and tile exceed shared memory
    assert not whole((16, 16, 16, 16, 16, 16, 2))  # complex pairs
    assert not whole((64, 64, 64, 64, 64, 64, 1))  # 1 MiB of weights
    assert not whole((8, 32, 32, 32, 32, 8, 1)) and not whole((16, 16, 16, 8, 16, 32, 1))  # 8-wide; l != q
    small = make_config((32, 32, 32, 32, 32, 32, 1), 2, 64)["whole"]  # n = 1024, small batch: 2 programs a row tile
    assert (small["BM"], small["QS"]) == (16, 16)
    large = make_config((32, 32, 32, 32, 32, 32, 1), 2, 8192, sms=100)["whole"]  # weights fill shared memory
    assert (large["QS"], large["programs"]) == (32, 100)


@pytest.mark.gpu
@needs_cuda
def test_tf32_mode_runs(monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", True)
    monkeypatch.setitem(TOLERANCE, torch.float32, 5e-3)
    check((32, 32, 32), (32, 32, 32), torch.float32, (300,), False)


@pytest.mark.gpu
@needs_cuda
def test_auto_dispatch_uses_the_kernel_on_cuda():
    import monarch_sci as ms
    from monarch_sci.kernels import fused as fused_module

    calls = []
    original = fused_module.fused_apply
    fused_module.fused_apply = lambda *a, **kw: calls.append(1) or original(*a, **kw)
    try:
        M = ms.Monarch.random(1024, 1024, dtype=torch.float32, device="cuda")
        x = torch.randn(8192, 1024, device="cuda")  # 32 MiB: EAGER_MIN_BYTES
        y = M(x)
    finally:
        fused_module.fused_apply = original
    assert calls, "monarch_apply(impl='auto') did not reach the fused kernel on CUDA"
    assert rel(y, forward_einsum(x.double(), M.R.double(), M.L.double())) < 1e-5
    R, L = (torch.randn(16, 16, 16, device="cuda", dtype=torch.bfloat16) / 4 for _ in range(2))
    x = torch.randn(64, 256, device="cuda", dtype=torch.bfloat16)
    assert use_fused(x, R, L) and not use_fused(x, R, L, adjoint=True)  # inference at n = 256: the one-launch forward
    assert not use_fused(x.requires_grad_(), R, L)


def test_dispatch_prefers_the_kernels_only_where_they_were_faster():
    from monarch_sci.kernels import fused_preferred

    MiB = 1 << 20
    assert fused_preferred(8192 * 4096 * 2, False, needs_grad=True)  # bf16 n = 4096: 64 MiB
    assert not fused_preferred(1024 * 4096 * 2, False, needs_grad=True)  # 8 MiB: the bmm path's fewer launches
    assert fused_preferred(65536 * 320 * 8, True, needs_grad=True)  # complex64 n = 320: 160 MiB
    assert fused_preferred(32 * MiB, False, needs_grad=False) and not fused_preferred(32 * MiB, True, needs_grad=True)
    assert fused_preferred(128 * MiB, True, needs_grad=False)
    assert fused_preferred(64 * 256 * 2, False, needs_grad=False, one_launch=True)  # one small kernel: any batch
    assert not fused_preferred(64 * 256 * 2, False, needs_grad=True, one_launch=True)  # its backward: three launches


def test_dispatch_for_cuda_graphs_chooses_by_device_time(monkeypatch):
    import monarch_sci.kernels as kernels
    from monarch_sci.kernels import dispatch_for_cuda_graphs, fused_preferred_in_graphs

    monkeypatch.setattr(kernels, "fused_supported", lambda *a, **kw: True)  # as on a GPU that runs the kernels
    R, L = torch.randn(16, 16, 16), torch.randn(16, 16, 16)
    x = torch.randn(64, 256, requires_grad=True)
    xc = torch.randn(1024, 256, dtype=torch.complex64)
    Rc, Lc = R.to(torch.complex64), L.to(torch.complex64)
    assert not use_fused(x, R, L)  # eagerly, 64 rows with gradients: the bmm path's fewer launches win
    with dispatch_for_cuda_graphs():
        assert use_fused(x, R, L) and use_fused(x.detach(), R, L, adjoint=True)
        assert not use_fused(xc, Rc, Lc) and use_fused(xc, Rc.requires_grad_(), Lc)
    assert not use_fused(x, R, L)
    with pytest.raises(ValueError), dispatch_for_cuda_graphs():
        raise ValueError
    assert not use_fused(x, R, L)  # left on an exception too
    assert fused_preferred_in_graphs(64, complex_data=False, needs_grad=True)
    assert not fused_preferred_in_graphs(64, complex_data=True, needs_grad=True)
    assert fused_preferred_in_graphs(8192, complex_data=True, needs_grad=False)


@pytest.mark.gpu
@needs_cuda
def test_graphed_steps_take_the_kernels_at_small_batches(monkeypatch):
    from monarch_sci.kernels import fused as fused_module
    from monarch_sci.nn import MonarchLinear
    from monarch_sci.train.graphed import GraphedStep

    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    calls = []
    original = fused_module.fused_apply
    monkeypatch.setattr(fused_module, "fused_apply", lambda *a, **kw: calls.append(1) or original(*a, **kw))
    layer = MonarchLinear(256, 256, nblocks=16).cuda()
    x = torch.randn(64, 256, device="cuda")

    def compute(batch):
        loss = layer(batch).square().sum()
        loss.backward()
        return loss.detach()

    loss = GraphedStep(list(layer.parameters()), compute)(x).clone()
    graphed_grads = [p.grad.clone() for p in layer.parameters()]
    assert calls, "the warm-up and the capture did not take the kernels at 64 rows"
    calls.clear()
    for p in layer.parameters():
        p.grad = None
    assert rel(compute(x), loss) < 1e-5 and not calls  # eagerly: the bmm path
    for p, g in zip(layer.parameters(), graphed_grads):
        assert rel(p.grad, g) < 1e-5


def test_cpu_falls_back_to_the_torch_path(gen):
    R = torch.randn(4, 6, 5, generator=gen, dtype=torch.float64)
    L = torch.randn(3, 7, 8, generator=gen, dtype=torch.float64)
    x = torch.randn(9, 20, generator=gen, dtype=torch.float64)
    assert not fused_supported(x, R, L) and not use_fused(x, R, L)
    assert torch.allclose(monarch_apply(x, R, L, impl="auto"), forward_einsum(x, R, L))


def test_unsupported_dtypes_and_widths_are_rejected(gen):
    R, L = torch.randn(2, 3, 4, generator=gen), torch.randn(3, 5, 2, generator=gen)
    x = torch.randn(4, 8, generator=gen)
    assert not fused_supported(x.double(), R.double(), L.double())
    assert not fused_supported(x, R, L.double())


def test_import_does_not_load_triton():
    code = "import sys, monarch_sci, monarch_sci.kernels; sys.exit('triton' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
