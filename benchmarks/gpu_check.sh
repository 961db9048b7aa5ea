#!/usr/bin/env bash
# GPU check, under 5 minutes, on a machine with an NVIDIA GPU and a CUDA build of torch:
#
#   1. the seed-1d benchmark (ensemble vs loop; it runs on the CPU), 200 steps, 1 repeat;
#   2. `losslab run examples/seed-1d.toml --steps 300 --device cuda` (48 members, one ensemble);
#   3. the same study on the CPU, for the ratio (informative only: skipped when the
#      budget is spent, and its failure or time-out does not fail the check);
#   4. every generative trainer on cuda: benchmarks/gpu_families.toml (GAN, EBGAN,
#      Langevin EBM, annealed DSM, DDPM; 200 steps);
#   5. the supervised trainer on cuda: examples/classification.toml, 100 steps, 2 seeds.
#
# Prints each step's wall time and the CPU/GPU ratio of the study.
# Exit codes: 0 checked, 1 a step failed or ran past its time limit, 2 no usable GPU here.
#
#   bash benchmarks/gpu_check.sh          # PYTHON=... to pick the interpreter (default python)
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
OUT="${GPU_CHECK_OUT:-/tmp/gpu-run}"
BUDGET=290 # seconds for all steps together (the script must finish within 5 minutes)

if ! "$PY" -c "import torch, losslab" 2>/dev/null; then
    echo "gpu_check: '$PY' cannot import torch and losslab; run: $PY -m pip install -e ." >&2
    exit 2
fi
if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    build=$("$PY" -c "import torch; print(torch.__version__, 'cuda', torch.version.cuda)")
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        echo "gpu_check: a GPU is present but torch ($build) cannot use it;" \
            "install a CUDA build of torch (<2.14) and rerun" >&2
    else
        echo "gpu_check: no CUDA GPU on this machine (torch $build); nothing to check" >&2
    fi
    exit 2
fi
"$PY" -c "import torch; print('gpu:', torch.cuda.get_device_name(0), '| torch', torch.__version__,
      '| cuda', torch.version.cuda)"

START=$(date +%s)
declare -A WALL
failed=0

# step NAME LIMIT_S REQUIRED COMMAND...: run with a time limit, record its wall time;
# a REQUIRED step that fails or times out makes the check fail
step() {
    local name=$1 limit=$2 required=$3 t0 t1 rc
    shift 3
    local left=$((BUDGET - ($(date +%s) - START)))
    if ((left < 20)); then
        echo "== $name: skipped, the time budget is spent"
        return 0
    fi
    ((limit > left)) && limit=$left
    echo "== $name (limit ${limit}s): $*"
    t0=$(date +%s.%N)
    timeout "$limit" "$@"
    rc=$?
    t1=$(date +%s.%N)
    WALL[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    echo "== $name: ${WALL[$name]} s"
    if ((rc == 124)); then
        echo "== $name: ran past its limit of ${limit}s" >&2
        WALL[$name]="${WALL[$name]} (timed out)"
    elif ((rc != 0)); then
        echo "== $name: failed with exit code $rc" >&2
        WALL[$name]="${WALL[$name]} (failed, exit $rc)"
    fi
    if ((rc != 0)) && [[ $required == yes ]]; then
        failed=1
    fi
}

step benchmark 100 yes "$PY" benchmarks/ensemble_vs_loop.py --steps 200 --repeats 1
step study-cuda 60 yes "$PY" -m losslab.cli run examples/seed-1d.toml --steps 300 --device cuda \
    --out "$OUT" --db "$OUT.db" --quiet
step study-cpu 40 no "$PY" -m losslab.cli run examples/seed-1d.toml --steps 300 --device cpu \
    --out "$OUT-cpu" --db "$OUT-cpu.db" --quiet
step families-cuda 60 yes "$PY" -m losslab.cli run benchmarks/gpu_families.toml --device cuda \
    --out "$OUT-families" --db "$OUT-families.db" --quiet
step supervised-cuda 40 yes "$PY" -m losslab.cli run examples/classification.toml --steps 100 \
    --seeds 2 --device cuda --out "$OUT-supervised" --db "$OUT-supervised.db" --quiet

echo
echo "summary (wall seconds, this machine):"
for name in benchmark study-cuda study-cpu families-cuda supervised-cuda; do
    printf '  %-11s %s\n' "$name" "${WALL[$name]:-skipped}"
done
cuda=${WALL[study-cuda]:-} cpu=${WALL[study-cpu]:-}
if [[ $cuda =~ ^[0-9.]+$ && $cpu =~ ^[0-9.]+$ ]]; then
    awk -v c="$cpu" -v g="$cuda" 'BEGIN { printf "  study cpu/cuda: %.2fx\n", c / g }'
fi
echo "  total       $(($(date +%s) - START))"
exit $failed
