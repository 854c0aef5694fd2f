"""Generate tests/mri/data/fastmri_masks.json from fastMRI 0.3.0's subsample.py.

Usage: python make_fastmri_masks.py PATH/TO/fastmri/data/subsample.py fastmri_masks.json
(fastMRI is not a dependency: install it somewhere with `pip install --no-deps --target DIR fastmri==0.3.0`)."""
import importlib.util, json, sys

import numpy as np
spec = importlib.util.spec_from_file_location("fm_sub", sys.argv[1])
fm = importlib.util.module_from_spec(spec); spec.loader.exec_module(fm)
names = {"random": fm.RandomMaskFunc, "equispaced": fm.EquiSpacedMaskFunc, "equispaced_fraction": fm.EquispacedMaskFractionFunc, "magic": fm.MagicMaskFunc, "magic_fraction": fm.MagicMaskFractionFunc}
cases = []
for name, cls in names.items():
    for cf, acc in [([0.08], [4]), ([0.08, 0.04], [4, 8])]:
        for W in (368, 333):
            for seed in [0, 1, "file1000000.h5"]:
                s = tuple(map(ord, seed)) if isinstance(seed, str) else seed
                m, n = cls(cf, acc)((1, 640, W, 2), seed=s)
                cases.append(dict(mask=name, center_fractions=cf, accelerations=acc, width=W, seed=seed,
                                  num_low_frequencies=int(n), lines=np.flatnonzero(m.reshape(-1).numpy()).tolist()))
        f = cls(cf, acc, seed=42)
        for call in range(3):
            m, n = f((1, 640, 368, 2))
            cases.append(dict(mask=name, center_fractions=cf, accelerations=acc, width=368, seed=None, generator_seed=42,
                              call=call, num_low_frequencies=int(n), lines=np.flatnonzero(m.reshape(-1).numpy()).tolist()))
out = {"source": "fastMRI 0.3.0 (PyPI), fastmri/data/subsample.py, shape (1, 640, W, 2)", "cases": cases}
json.dump(out, open(sys.argv[2], "w"), separators=(",", ":"))
print(len(cases))
