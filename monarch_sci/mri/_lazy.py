"""Lazy imports of optional packages, with an error that says what to install."""

from __future__ import annotations

import importlib

from ..errors import MonarchError


def require(module: str, purpose: str, package: str = "sigpy"):
    """``importlib.import_module(module)``, or a MonarchError naming the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MonarchError(f"{purpose} needs {package}: pip install {package} (or pip install 'monarch-sci[mri]')") from None


__all__ = ["require"]
