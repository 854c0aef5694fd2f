"""Choosing block sizes for Monarch factors."""

from __future__ import annotations

import math

from ..errors import MonarchError


def divisors(n: int) -> list[int]:
    """All positive divisors of n, ascending."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def balanced_split(n: int) -> tuple[int, int]:
    """n = n1 * n2 with n1 <= n2 and n1 the largest divisor not above sqrt(n); (1, n) for primes."""
    n1 = max(d for d in divisors(n) if d * d <= n)
    return n1, n // n1


def block_shape(n_in: int, n_out: int, nblocks: int | None = None, mid: int | None = None):
    """Canonical factor shapes ((k, q, p), (l, s, r)) for an n_in -> n_out Monarch factor.

    Both factors get ``nblocks`` blocks (default: the divisor of gcd(n_in, n_out) closest to
    sqrt(max(n_in, n_out)), which is sqrt(n) for square n = m^2). The middle length defaults to
    nblocks * min(p, s) with p = n_in / nblocks, s = n_out / nblocks: square blocks on the smaller
    side (as HazyResearch/fly). Square blocks on the larger side would make every (s, p)
    sub-block full rank once the sizes differ by a factor nblocks: more weights than dense.
    """
    for name, value in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(value, int) or value < 1:
            raise MonarchError(f"{name} must be a positive int, got {value!r}")
    common = math.gcd(n_in, n_out)
    if nblocks is None:
        target = math.sqrt(max(n_in, n_out))
        nblocks = min(divisors(common), key=lambda d: (abs(math.log(d / target)), d))
    if not isinstance(nblocks, int) or nblocks < 1:
        raise MonarchError(f"nblocks must be a positive int, got {nblocks!r}")
    if n_in % nblocks or n_out % nblocks:
        raise MonarchError(
            f"nblocks={nblocks} must divide both n_in={n_in} and n_out={n_out}; "
            f"valid block counts are {divisors(common)}"
        )
    p, s = n_in // nblocks, n_out // nblocks
    if mid is None:
        mid = nblocks * min(p, s)
    if mid % nblocks:
        raise MonarchError(f"mid={mid} must be divisible by nblocks={nblocks}")
    q = r = mid // nblocks
    return (nblocks, q, p), (nblocks, s, r)
