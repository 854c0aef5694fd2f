import json
import subprocess
import sys

import pytest

from monarch_sci.cli.main import main
from monarch_sci.transforms.check import CHECKS, check


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_every_registered_check_is_exact(kind):
    result = check(kind, 64)
    assert result["max_abs_error"] < 1e-12
    assert result["class"] != "dense"


def test_check_json_output(capsys):
    assert main(["transforms", "check", "dct", "96", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["class"] == "(MM*)^2" and result["n"] == 96 and result["max_abs_error"] < 1e-12
    assert result["parameters"] == 12 * 8 * 8 + 8 * 12 * 12  # R (12, 8, 8) and L (8, 12, 12)


def test_check_table_output(capsys):
    assert main(["transforms", "check", "dft", "97"]) == 0
    out = capsys.readouterr().out
    assert "dense (factors: none; fixed stages: dense)" in out and "max abs error" in out


def test_unknown_kind_lists_the_valid_ones(capsys):
    assert main(["transforms", "check", "wavelet", "8"]) == 2
    assert "unknown transform 'wavelet'; valid kinds: acdc, afdf, circulant" in capsys.readouterr().err


def test_console_script_version():
    out = subprocess.run([sys.executable, "-m", "monarch_sci.cli.main", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("monarch-sci ")
