"""Shared fixtures: small simulated fastMRI volumes and a runner for `monarch-sci mri ...`."""

import argparse
import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from monarch_sci.errors import MonarchError


def run_mri_cli(*argv: str) -> tuple[int, str, str]:
    """Run `monarch-sci mri ARGV...` in-process: (exit code, stdout, stderr), like cli.main."""
    from monarch_sci.cli import mri

    parser = argparse.ArgumentParser(prog="monarch-sci")
    mri.register(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        args = parser.parse_args(["mri", *argv])
        try:
            code = args.run(args) or 0
        except MonarchError as error:
            print(f"monarch-sci: error: {error}", file=err)
            code = 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory):
    """Two fully sampled 8-coil volumes, 3 slices of 48×48, 2× readout oversampling, true maps stored."""
    out = tmp_path_factory.mktemp("sim")
    code, _, err = run_mri_cli(
        "simulate", str(out), "--volumes", "2", "--slices", "3", "--size", "48", "48", "--coils", "8",
        "--oversample", "--save-maps", "--seed", "5", "--no-progress",
    )
    assert code == 0, err
    return out
