#!/usr/bin/env bash
# Every benchmark quoted in BENCHMARKS.md, in order; outputs under studies/results/.
# Usage: bash studies/run_all.sh [jobs]   (about 30 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
out=studies/results
mkdir -p "$out"
run() { echo "\$ $*" | tee -a "$out/commands.txt"; "$@"; }
run python studies/nb201_table_stats.py | tee "$out/table_stats.md"
run python -m optunas bench samplers --samplers random,tpe,nsga2,cmaes,reinforce,evolution \
    --seeds 30 --trials 200 --overhead-trials 1010 --jobs "$jobs" --out "$out/samplers" | tee "$out/samplers.md"
run python -m optunas bench samplers --samplers gp,random --gp-seeds 5 --seeds 5 --trials 200 \
    --jobs "$jobs" --out "$out/gp" | tee "$out/gp.md"
run python -m optunas bench pruners --pruners none,median,sha,hyperband,curve,predictor \
    --samplers random,tpe --seeds 30 --trials 200 --jobs "$jobs" --out "$out/pruners" | tee "$out/pruners.md"
run python studies/real_pruning.py --pruners none,median,curve,predictor --trials 20 --seeds 2 --jobs "$jobs" | tee "$out/real_pruning.md"
run python studies/multiobjective_hypervolume.py --samplers evolution,nsga2,tpe,random \
    --seeds 30 --trials 200 --jobs "$jobs" | tee "$out/hypervolume.md"
# The GP's per-trial overhead as the study grows, beside TPE's (slow: GP alone takes most of it).
run python studies/sampler_overhead.py --samplers gp,tpe,random --space nb201 --trials "${OVERHEAD_TRIALS:-1010}" | tee "$out/overhead_nb201.md"
run python studies/sampler_overhead.py --samplers gp,tpe,random --space chain --trials "${OVERHEAD_TRIALS:-1010}" | tee "$out/overhead_chain.md"
