"""Dataset recipes: named JSON files under ``data/recipes/`` (the published settings and small CPU variants).

A recipe file holds::

    {"name": "ns-v1e-3", "kind": "navier_stokes", "description": "...", "reference": "...",
     "n": 1200, "seed": 0, "chunk": 200, "params": {...}, "notes": ["..."]}

``params`` override the problem's defaults (``monarch_sci.pde.problems``); every key must be one the
problem knows. ``get_recipe`` takes a registered name or a path to such a file; an unknown name is an
error that lists the valid ones.

>>> sorted(available_recipes())[:2]
['burgers', 'burgers-small']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import MonarchError
from .problems import Problem, make_problem

RECIPE_DIR = Path(__file__).resolve().parents[2] / "data" / "recipes"
_FIELDS = {"name", "kind", "description", "reference", "n", "seed", "chunk", "params", "notes"}


@dataclass(frozen=True)
class Recipe:
    """A dataset recipe: ``n`` samples of ``kind`` with ``params``, generated in chunks of ``chunk``."""

    name: str
    kind: str
    n: int
    seed: int = 0
    chunk: int = 64
    params: dict = field(default_factory=dict)
    description: str = ""
    reference: str = ""
    notes: tuple[str, ...] = ()
    path: str = ""

    def problem(self) -> Problem:
        """The problem with this recipe's parameters merged into its defaults (validates them)."""
        return make_problem(self.kind, self.params)

    def with_overrides(
        self, n: int | None = None, seed: int | None = None, chunk: int | None = None, params: dict | None = None
    ) -> "Recipe":
        """A copy with ``n``, ``seed``, ``chunk`` or individual ``params`` replaced (nested dicts merge)."""
        merged = json.loads(json.dumps(self.params))
        for key, value in (params or {}).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        recipe = replace(
            self,
            n=self.n if n is None else int(n),
            seed=self.seed if seed is None else int(seed),
            chunk=self.chunk if chunk is None else int(chunk),
            params=merged,
        )
        recipe.check()
        return recipe

    def check(self) -> None:
        """Validate counts and parameters; raises MonarchError naming the recipe and the bad value."""
        for key in ("n", "chunk"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise MonarchError(f"recipe {self.name!r}: {key} must be a positive integer, got {value!r}")
        try:
            self.problem()
        except MonarchError as error:
            raise MonarchError(f"recipe {self.name!r} ({self.path or 'in memory'}): {error}") from None


def _read(path: Path) -> Recipe:
    try:
        spec = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise MonarchError(f"cannot read recipe file {path}: {error}") from None
    if not isinstance(spec, dict):
        raise MonarchError(f"recipe file {path} must hold a JSON object, got {type(spec).__name__}")
    unknown = set(spec) - _FIELDS
    missing = {"name", "kind", "n"} - set(spec)
    if unknown or missing:
        problem = f"unknown keys {sorted(unknown)}" if unknown else f"missing keys {sorted(missing)}"
        raise MonarchError(f"recipe file {path}: {problem}; valid keys: {', '.join(sorted(_FIELDS))}")
    spec["notes"] = tuple(spec.get("notes", ()))
    recipe = Recipe(**spec, path=str(path))
    recipe.check()
    return recipe


def available_recipes() -> dict[str, Path]:
    """Registered recipe names → their files."""
    return {p.stem: p for p in sorted(RECIPE_DIR.glob("*.json"), key=lambda p: p.stem)}


def get_recipe(name: str) -> Recipe:
    """The recipe registered as ``name``, or read from ``name`` if it is a path to a .json file."""
    path = Path(name)
    if path.suffix == ".json" and path.exists():
        return _read(path)
    registry = available_recipes()
    if name not in registry:
        raise MonarchError(
            f"unknown recipe {name!r}; valid recipes: {', '.join(registry) or '(none found in ' + str(RECIPE_DIR) + ')'}"
        )
    return _read(registry[name])
