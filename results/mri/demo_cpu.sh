#!/usr/bin/env bash
# A small train + recon + eval on simulated 320x320, 8-coil volumes, timed end to end (2 CPU cores).
#   bash results/mri/demo_cpu.sh [OUT_DIR]          (MONARCH_SCI="python -m monarch_sci.cli.main" to run from a checkout)
set -euo pipefail
OUT=${1:-out/mri/demo}
MS=${MONARCH_SCI:-monarch-sci}
MASK="--mask poisson --acceleration 4 --center-fraction 0.08 --mask-seed 0"
SIM="--phantom shepp_logan --volumes 1 --slices 4 --size 320 320 --coils 8 --snr 40 --no-progress"
rm -rf "$OUT"
start=$(date +%s)
$MS mri simulate "$OUT/train" $SIM --seed 0 --prefix train > /dev/null
$MS mri simulate "$OUT/test" $SIM --seed 100 --prefix test > /dev/null
$MS mri train "$OUT/train" --model msense --out "$OUT/run" $MASK --lamda 3e-3 --iterations 10 --epochs 6 \
    --threads 1 --no-progress
$MS mri recon "$OUT/test" "$OUT/recon-msense" --checkpoint "$OUT/run/checkpoint.pt" --threads 1 --no-progress
$MS mri recon "$OUT/test" "$OUT/recon-sense" --method sense $MASK --lamda 3e-3 --max-iter 10 --threads 1 --no-progress
echo "== mSENSE"; $MS mri eval --targets "$OUT/test" --recons "$OUT/recon-msense" | tail -2 | head -1
echo "== SENSE (the same lambda and 10 CG iterations)"; $MS mri eval --targets "$OUT/test" --recons "$OUT/recon-sense" | tail -2 | head -1
echo "total: $(( $(date +%s) - start )) s"
