"""Swapping nn.Linear layers for MonarchLinear (monarchify) and back (densify), in place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from torch import nn

from ..errors import MonarchError
from .linear import MonarchLinear, layer_shape

Filter = Callable[[str, nn.Linear], bool]


@dataclass(frozen=True)
class LayerChange:
    """One replaced layer: its qualified name, sizes, and parameter counts (weight + bias)."""

    name: str
    in_features: int
    out_features: int
    params_before: int
    params_after: int


@dataclass
class MonarchifyReport:
    """What ``monarchify`` did: replaced layers, skipped nn.Linear layers with the reason, totals.

    ``params_before`` / ``params_after`` count the replaced layers only; ``reduction`` is
    1 - after/before over them; ``model_params_*`` count every parameter of the model.
    """

    replaced: list[LayerChange] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    model_params_before: int = 0
    model_params_after: int = 0

    @property
    def params_before(self) -> int:
        return sum(c.params_before for c in self.replaced)

    @property
    def params_after(self) -> int:
        return sum(c.params_after for c in self.replaced)

    @property
    def reduction(self) -> float:
        return 1 - self.params_after / self.params_before if self.replaced else 0.0

    def __str__(self) -> str:
        lines = [f"{'layer':<32} {'in':>6} {'out':>6} {'dense':>10} {'monarch':>10}"]
        lines += [
            f"{c.name:<32} {c.in_features:>6} {c.out_features:>6} {c.params_before:>10} {c.params_after:>10}"
            for c in self.replaced
        ]
        lines.append(
            f"replaced {len(self.replaced)} layers: {self.params_before} -> {self.params_after} parameters "
            f"({100 * self.reduction:.1f}% fewer); model {self.model_params_before} -> {self.model_params_after}"
        )
        lines += [f"skipped {name}: {reason}" for name, reason in self.skipped.items()]
        return "\n".join(lines)


def monarchify(
    model: nn.Module,
    nblocks: int = 4,
    filter: Filter | str | None = None,
    min_features: int = 64,
    project: bool = True,
) -> MonarchifyReport:
    """Replace nn.Linear layers inside ``model`` by MonarchLinear, in place.

    A layer is replaced when ``filter`` selects it, min(in, out) >= min_features, and the Monarch
    layer has fewer parameters than the dense one. ``filter`` is a callable (name, module) -> bool
    or a regex matched with ``re.fullmatch`` against the qualified name ("blocks.0.mlp.fc1").
    The default filter takes layers whose type is exactly nn.Linear: subclasses may change
    forward, and nn.MultiheadAttention's ``out_proj`` (a NonDynamicallyQuantizableLinear) is read
    through ``out_proj.weight`` by the attention kernel, so a Monarch layer there saves parameters
    but runs dense (through ``MonarchLinear.weight``); select it with a filter to replace it anyway.

    project=True starts from the Frobenius-optimal projection of each weight (bias copied,
    ``MonarchLinear.from_dense``); project=False draws a fresh MonarchLinear (training from scratch).
    A module used at several places is replaced by one shared MonarchLinear.

    >>> model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    >>> round(monarchify(model).reduction, 3)  # the 256 -> 10 head is too small and stays dense
    0.498
    """
    if isinstance(nblocks, bool) or not isinstance(nblocks, int) or nblocks < 1:
        raise MonarchError(f"monarchify needs nblocks to be a positive int, got {nblocks!r}")
    if isinstance(min_features, bool) or not isinstance(min_features, int) or min_features < 0:
        raise MonarchError(f"monarchify needs min_features to be an int >= 0, got {min_features!r}")
    if isinstance(model, nn.Linear):
        raise MonarchError("monarchify replaces layers inside a model; for one nn.Linear use MonarchLinear.from_dense")
    select = _selector(filter)
    report = MonarchifyReport(model_params_before=_numel(model))
    new_by_id: dict[int, nn.Module] = {}
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        reason = _why_not(name, module, select, nblocks, min_features)
        if reason:
            report.skipped[name] = reason
            continue
        if project:
            new = MonarchLinear.from_dense(module, nblocks)
        else:
            W = module.weight
            new = MonarchLinear(
                module.in_features, module.out_features, module.bias is not None, nblocks, W.device, W.dtype
            )
        new_by_id[id(module)] = new
        report.replaced.append(
            LayerChange(name, module.in_features, module.out_features, _numel(module), _numel(new))
        )
    _swap(model, new_by_id)
    report.model_params_after = _numel(model)
    return report


def densify(model: nn.Module) -> dict[str, tuple[MonarchLinear, nn.Linear]]:
    """Replace every MonarchLinear inside ``model`` by its exact nn.Linear, in place.

    Returns {qualified name: (old MonarchLinear, new nn.Linear)}, one entry per distinct layer.
    """
    if isinstance(model, MonarchLinear):
        raise MonarchError("densify replaces layers inside a model; for one MonarchLinear use .to_dense()")
    pairs = {name: (m, m.to_dense()) for name, m in model.named_modules() if isinstance(m, MonarchLinear)}
    _swap(model, {id(old): new for old, new in pairs.values()})
    return pairs


def _selector(filter: Filter | str | None) -> Filter:
    if filter is None:
        return lambda name, module: type(module) is nn.Linear
    if isinstance(filter, str):
        try:
            pattern = re.compile(filter)
        except re.error as err:
            raise MonarchError(f"monarchify filter {filter!r} is not a valid regex: {err}") from None
        return lambda name, module: pattern.fullmatch(name) is not None
    if callable(filter):
        return filter
    raise MonarchError(f"monarchify filter must be a callable (name, module) -> bool or a regex, got {filter!r}")


def _why_not(name: str, module: nn.Linear, select: Filter, nblocks: int, min_features: int) -> str:
    """Why ``module`` is not replaced, or "" when it is."""
    if not select(name, module):
        if isinstance(module, nn.modules.linear.NonDynamicallyQuantizableLinear):
            return "nn.MultiheadAttention reads out_proj.weight directly, so it would run dense; select it to replace"
        return f"not selected by the filter ({type(module).__name__})"
    smaller = min(module.in_features, module.out_features)
    if smaller < min_features:
        return f"min(in, out) = {smaller} is below min_features={min_features}"
    (k, q, p), (l, s, r) = layer_shape(module.in_features, module.out_features, nblocks)
    monarch = k * q * p + l * s * r
    dense = module.in_features * module.out_features
    if monarch >= dense:
        return f"nblocks={nblocks} gives {monarch} weights, not fewer than the dense {dense}"
    return ""


def _swap(model: nn.Module, new_by_id: dict[int, nn.Module]) -> None:
    """Put new_by_id[id(child)] in place of every child found in it, wherever it is attached."""
    for parent in list(model.modules()):
        for child_name, child in list(parent._modules.items()):  # named_children() hides repeats
            if id(child) in new_by_id:
                setattr(parent, child_name, new_by_id[id(child)])


def _numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
