import subprocess
import sys


def test_import_is_light_and_side_effect_free():
    code = (
        "import sys, monarch_sci as ms; "
        "heavy = [m for m in ('matplotlib', 'sigpy', 'neuralop', 'triton', 'skimage', 'sklearn') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
