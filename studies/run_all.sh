#!/usr/bin/env bash
# Every table in BENCHMARKS.md, in its order, then the steps of the research notes
# (docs/research/) that run on the current code; outputs under studies/results/.
#
# Usage: bash studies/run_all.sh [jobs] [scope]
#   jobs   worker processes (default 2)
#   scope  "all" (default) or "benchmarks" (BENCHMARKS.md's tables only)
#
# Each step says how long it took on the 2-core CPU of BENCHMARKS.md, with 2 jobs unless
# stated: "recorded" durations are those written down when the figures were made, "measured"
# ones were timed for this script, "estimate" ones were not recorded and come from the
# per-trial costs in BENCHMARKS.md. In all, about 4 hours: 2 h 30 min for BENCHMARKS.md's
# tables (one and a half hours of it the three "epochs to reach no pruning's regret" runs and
# the real training), 1 h 25 min for the research steps. The notes' runs of earlier presets or
# code (the 30-seed sampler run, the first sweep of sampler settings, the schedule probe, the
# calibration of PredictorPruner's two models) are not rerun; their commands are in the notes.
#
# The two tables are shipped; regenerating them is not part of this script. Each takes about
# 1 h 46 min (recorded: 6,340 s and 6,265 s train, 78 s assemble):
#   python studies/make_nb201_table.py train --workers 2 && python studies/make_nb201_table.py assemble
#   python studies/make_nb201_table.py --setting pruning train --workers 2 && python studies/make_nb201_table.py --setting pruning assemble
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
scope=${2:-all}
out=studies/results
mkdir -p "$out"
# Every figure was measured with one thread per process.
export OMP_NUM_THREADS=1
run() { echo "\$ $*" | tee -a "$out/commands.txt"; "$@"; }
chain='predictor:model="chain",use_choices=True,n_warmup_steps=0'

# ---- BENCHMARKS.md -------------------------------------------------------------------------

# The tabular benchmarks. 10 s and 7 s (measured).
run python studies/nb201_table_stats.py | tee "$out/table_stats.md"
run python studies/nb201_table_stats.py pruning | tee "$out/table_stats_pruning.md"

# Samplers on NAS-Bench-201 (needs pip install '.[nb201]'): the paper's protocol and regret at
# 100 trials, 100 seeds (GPSampler 10), three lanes side by side. Not finished in the 1 h 40 min
# it had on a loaded 2-core machine (the runs column of the tables says how far it got); it
# skips the chunks already done, so rerunning it goes on where it stopped.
run bash studies/nb201_samplers.sh paper regret gp evolution
run python studies/nb201_table.py | tee "$out/nb201.md"
# Samplers: regret on the table. Not recorded; about 7 min on one process (estimate).
run python -m optunas bench samplers --samplers random,tpe,nsga2,cmaes,reinforce,evolution \
    --seeds 100 --trials 200 --overhead-trials 1010 --jobs "$jobs" --out "$out/samplers100" | tee "$out/samplers100.md"
# GPSampler. Not recorded; about 10 min on one process (estimate: 2,000 GP trials at 0.25 s
# per trial at 100 trials and more later).
run python -m optunas bench samplers --samplers gp,random --gp-seeds 10 --seeds 30 --trials 200 \
    --jobs "$jobs" --out "$out/gp" | tee "$out/gp.md"
# Learning within a short study (and the settings of docs/research/samplers.md, section 4).
# Not recorded; about 8 min (estimate: 72,000 ReinforceSampler trials at about 10 ms).
{
    run python studies/early_learning.py --samplers reinforce 'reinforce:lr=0.0035,tanh_constant=2.5' \
        evolution random --seeds 200 --jobs 1
    run python studies/early_learning.py --samplers evolution 'evolution:tournament_size=5' --seeds 200 --jobs 1
} | tee "$out/early_learning.md"

# Samplers' per-trial cost. Not recorded; about 2 min for NB201 (estimate: 125 s of GPSampler
# trials alone) and 45 s for Chain.
run python studies/sampler_overhead.py --samplers gp,tpe,random --space nb201 --at 100,500,1000 | tee "$out/overhead_nb201.md"
run python studies/sampler_overhead.py --samplers gp,tpe,random --space chain --at 100,500,1000 | tee "$out/overhead_chain.md"
# The optunas samplers' own cost as a study grows, and a joining worker's wait (SQLite on a RAM
# disk); then the CLI's ask and tell against Optuna's. Not recorded.
run python studies/evolution_overhead.py --at 100,1000,5000 --probe 50 | tee "$out/evolution_overhead.md"
{
    run python studies/reinforce_timing.py --join-at 1000 --trials 300 --repeats 3 --dir /dev/shm
    run python studies/reinforce_timing.py --join-at 1000 --trials 0 --repeats 3 --dir /dev/shm
} | tee "$out/reinforce_timing.md"
run python studies/cli_overhead.py --calls 10 | tee "$out/cli_overhead.md"

# Weight sharing: the ranking, 500 cells x 5 supernet seeds, about 4 min of one core (25 s of
# pretraining and 20 s of scoring per seed when the machine is idle; over an hour when shared);
# the search at equal compute, about 4 min of one core per seed.
run python studies/supernet_ranking.py run --variant no-none --epochs 200 --cells 500 --seeds 0 1 2 3 4 \
    | tee "$out/supernet_ranking.jsonl"
run python studies/supernet_search.py --seeds 0 1 2 3 4 --epochs 200 --candidates 1000 --top-k 5 50 \
    | tee "$out/supernet_search.jsonl"
run python studies/supernet_search_bound.py --seeds 50 --candidates 1000 --top-k 5 50 | tee "$out/supernet_search_bound.md"
# At the quickstart's size: the supernet's cost against a training, then the search against
# standalone search at equal CPU seconds (10 to 14 min per seed, then 4 with the cells cached).
run python studies/supernet_probe.py quickstart --epochs 10 | tee "$out/supernet_probe_quickstart.jsonl"
for sampler in evolution tpe; do
    suffix=${sampler/evolution/}
    run python studies/supernet_search.py --setting quickstart --seeds 0 1 2 3 4 --epochs 50 --candidates 300 \
        --top-k 5 --samplers "$sampler" --standalone random tpe --enas-trials 0 \
        --cells-cache "$out/supernet_search_quickstart_cells.json" | tee "$out/supernet_search_quickstart${suffix:+_$suffix}.jsonl"
done
# Differentiable search. About 50 min (recorded, on a VM loaded by other jobs), a few minutes
# for the bound and the cost.
run python studies/darts_bench.py --seeds 5 --epochs 30 --variants first,second,minus > "$out/darts_bench.jsonl"
run python studies/darts_bench.py --summarise "$out/darts_bench.jsonl" | tee "$out/darts_bench.md"
# The alphas' learning rate, 10 seeds (merged as studies/results/darts_bench_arch_lr.jsonl, the
# variant renamed by its rate). About 10 min.
run python studies/darts_bench.py --seeds 5 --first-seed 5 --epochs 30 --variants first > "$out/darts_bench_3e-3_5-9.jsonl"
run python studies/darts_bench.py --seeds 10 --epochs 30 --arch-lr 1e-2 --variants first > "$out/darts_bench_1e-2.jsonl"
run python studies/darts_bench.py --bound 5 2 | tee "$out/darts_bound.jsonl"
run python studies/darts_bench.py --cost --epochs 30 | tee "$out/darts_cost.json"
# The dashboard: drawing each trial and redrawing the study's charts, at 1,000 trials. 12 min
# on a heavily loaded 2-core VM (recorded).
run nice -n 10 python studies/dashboard_overhead.py --draw-trials 40 --repeats 5 | tee "$out/dashboard_overhead.md"
# Many workers: the sleeping objective (and a first look at the tabular one), then the tabular
# one with more trials and repeats. 11 min 27 s and about 10 min (measured, on a machine with
# a load average of 25). Needs the PostgreSQL and Redis servers of the tests.
run nice -n 10 python studies/scaling.py | tee "$out/scaling_sleep.md"
run nice -n 10 python studies/scaling.py --trials 32 --seeds 3 --sleep-runs '' | tee "$out/scaling_tabular.md"
# Threads of a worker: two workers on two cores, torch's default threads against one. About
# 6 min (measured); not niced, as the contention is what it measures.
run python studies/worker_threads.py --seconds 120 --epochs 1 | tee "$out/worker_threads.md"

# Two objectives. Not recorded; about 2 min (estimate: 24,000 trials of a few ms).
run python studies/multiobjective_hypervolume.py --samplers evolution,nsga2,tpe,random \
    --seeds 30 --trials 200 --jobs 1 | tee "$out/hypervolume.md"

# Pruners: the defaults on every curve set. Recorded on a machine loaded 12-30 (2 jobs): 16 min
# (default table), 12 min (table for pruners) per random-search command, 10 and 12 min replayed
# TPE, 24 min for the 50-epoch curves (10 seeds), 17 min for the 20-trial studies, about 2 min
# per bound; on an idle machine a third of that (estimate). The TPE studies are kept in
# $out/tpe_studies, which the bounds replay.
defaults='none predictor:threshold=0.01 predictor:threshold=0.005 predictor:threshold=0.002 curve:threshold=0.01 curve:threshold=0.05 hyperband:'
cl=studies/results/curve_length
for t in default pruning; do
  run python studies/sweep.py --table $t --seed-offset 1000 --seeds 30 --jobs "$jobs" --pruners $defaults | tee "$out/pruner_defaults_${t}_random.md"
  run python studies/sweep.py --table $t --replay --cache "$out/tpe_studies" --samplers tpe --seed-offset 1000 --seeds 30 \
      --jobs "$jobs" --pruners $defaults | tee "$out/pruner_defaults_${t}_tpe.md"
done
run python studies/sweep.py --curves $cl/e50_s0.npz $cl/e50_s1.npz --seed-offset 1000 --seeds 10 --jobs "$jobs" \
    --pruners $defaults | tee "$out/pruner_defaults_e50_random.md"
run python studies/sweep.py --table pruning --trials 20 --seed-offset 1000 --seeds 100 --jobs "$jobs" \
    --pruners $defaults | tee "$out/pruner_defaults_short_random.md"
run python studies/pruning_bound.py --table default --sampler tpe --cache "$out/tpe_studies" --seed-offset 1000 --studies 30 \
    --thresholds 0.001,0.002,0.005,0.01,0.02 --warmups 1 | tee "$out/pruning_bound_default_table_tpe.md"
run python studies/pruning_bound.py --table pruning --sampler tpe --cache "$out/tpe_studies" --seed-offset 1000 --studies 30 \
    --thresholds 0.001,0.002,0.005,0.01,0.02 --warmups 1 | tee "$out/pruning_bound_pruning_table_tpe.md"
run python studies/pruning_bound.py --table pruning --trials 20 --studies 500 --thresholds 0.002,0.01,0.03,0.05,0.1 \
    --warmups 1 | tee "$out/pruning_bound_20_trials.md"

# Pruners: presets on both tables. About 3 min and 100 s (recorded, run side by side).
run python -m optunas bench pruners --pruners none,median,sha,hyperband,curve,predictor \
    --samplers random,tpe --seeds 30 --trials 200 --jobs "$jobs" --out "$out/pruners" | tee "$out/pruners.md"
run python -m optunas bench pruners --table pruning --pruners none,median,sha,hyperband,curve,predictor \
    --samplers random,tpe --seeds 30 --trials 200 --jobs "$jobs" --out "$out/pruners_pruning_table" | tee "$out/pruners_pruning_table.md"

# Each pruner over its main knob, random search. 88 s and about 5 min (recorded).
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers random --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=0' 'median:n_startup_trials=5,n_warmup_steps=1' \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=3' \
    'median:n_startup_trials=5,n_warmup_steps=4' 'sha:' 'sha:min_resource=2' 'sha:min_resource=3' \
    'hyperband:' 'hyperband:min_resource=2' 'curve:threshold=0.05' 'curve:threshold=0.01' 'curve:threshold=0.05,n_warmup_steps=1' \
    'predictor:threshold=0.05' 'predictor:threshold=0.01' 'predictor:threshold=0.01,n_warmup_steps=1,n_min_trials=10' \
    'predictor:threshold=0.05,n_warmup_steps=1,n_min_trials=10' | tee "$out/pruner_tradeoff_pruning_table.md"
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --pruners none 'predictor:' \
    "$chain,threshold=0.005" "$chain,threshold=0.01" "$chain,threshold=0.02" "$chain,threshold=0.05" \
    'predictor:threshold=0.05' 'median:n_startup_trials=5,n_warmup_steps=1' 'median:n_startup_trials=5,n_warmup_steps=2' \
    'median:n_startup_trials=5,n_warmup_steps=3' 'sha:' 'hyperband:' | tee "$out/pruner_test_accuracy_random.md"

# Each pruner over its main knob, TPE, 100 seeds. 11 min 30 s (recorded: 5 min 19 s and
# 6 min 11 s for its two halves), 5 min 40 s and under 2 min (recorded).
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=3' \
    'median:n_startup_trials=5,n_warmup_steps=4' 'predictor:threshold=0.01' 'predictor:threshold=0.03' \
    'predictor:threshold=0.01,use_choices=True,n_warmup_steps=0' 'hyperband:' 'hyperband:min_resource=2' \
    'sha:min_resource=3' 'curve:threshold=0.01' 'predictor:threshold=0.03,use_choices=True,n_warmup_steps=0' \
    'predictor:threshold=0.01,use_choices=True' | tee "$out/pruner_tradeoff_pruning_table_tpe100.md"
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.002" "$chain,threshold=0.005" \
    'predictor:model="chain",threshold=0.005,n_warmup_steps=0' | tee "$out/pruner_chain_tpe100.md"
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.005" 'median:n_startup_trials=5,n_warmup_steps=4' \
    | tee "$out/pruner_test_accuracy_tpe100.md"

# Epochs to reach no pruning's regret. 16 min 28 s, 14 min 56 s and 16 min 16 s (recorded).
run python studies/pruning_speedup.py --seeds 100 --max-trials 1000 --jobs "$jobs" --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=3' \
    'median:n_startup_trials=5,n_warmup_steps=4' 'sha:' 'sha:min_resource=2' 'hyperband:' 'curve:' 'predictor:' \
    'predictor:use_choices=True,n_warmup_steps=0' | tee "$out/pruning_speedup.md"
run python studies/pruning_speedup.py --sampler tpe --seeds 50 --max-trials 600 --jobs "$jobs" --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=4' 'sha:' \
    'sha:min_resource=3' 'hyperband:' 'hyperband:min_resource=2' 'curve:' 'predictor:' | tee "$out/pruning_speedup_tpe.md"
run python studies/pruning_speedup.py --seeds 100 --max-trials 1000 --jobs "$jobs" --pruners none 'predictor:' \
    "$chain,threshold=0.005" "$chain,threshold=0.01" | tee "$out/pruning_speedup_chain.md"

# The limit: idealised pruners. 7 s, 10 s (twice) and about 1 min (twice) (recorded).
run python studies/pruning_bound.py --table pruning --thresholds 0.002,0.01,0.03,0.05,0.1 --warmups 1,2 --studies 200 \
    | tee "$out/pruning_bound.md"
{
    run python studies/pruning_bound.py --table pruning --thresholds 0.002,0.005,0.01,0.02,0.03 --warmups 1 --studies 200
    run python studies/pruning_bound.py --table pruning --expected-improvement --warmups 1 --studies 200 \
        --thresholds 0.0005,0.001,0.002,0.005,0.01,0.02,0.03,0.05
} | tee "$out/pruning_bound_ei.md"
run python studies/pruning_bound.py --table pruning --thresholds 0.002,0.01,0.015,0.02,0.03 --warmups 1,2 \
    --choices | tee "$out/pruning_bound_choices.md"
{
    run python studies/pruning_bound.py --table pruning --sampler tpe --thresholds 0.002,0.005,0.01,0.02,0.03,0.05 \
        --warmups 1 --studies 100
    run python studies/pruning_bound.py --table pruning --sampler tpe --choices \
        --thresholds 0.002,0.005,0.01,0.015,0.02,0.03 --warmups 1 --studies 100
} | tee "$out/pruning_bound_tpe.md"

# With real training. 36 min (recorded).
{
    run python studies/real_pruning.py --pruners curve,predictor --trials 20 --seeds 3 --jobs "$jobs"
    run python studies/real_pruning.py --pruners none --trials 20 --seeds 3 --jobs "$jobs"
} | tee "$out/real_pruning.md"

[[ "$scope" == all ]] || exit 0

# ---- docs/research/pruning.md ----------------------------------------------------------------

# Section 2, the default table: the idealised rule, 7 s (recorded); each pruner over its knob,
# not recorded (the same sweep on the table for pruners takes 88 s).
run python studies/pruning_bound.py --table default | tee "$out/pruning_bound_default_table.md"
run python studies/sweep.py --seed-offset 0 --jobs "$jobs" --samplers random --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=4' \
    'median:n_startup_trials=5,n_warmup_steps=6' 'median:n_startup_trials=5,n_warmup_steps=8' \
    'sha:min_resource=3' 'sha:min_resource=5' 'hyperband:' 'hyperband:min_resource=3' \
    'curve:threshold=0.05' 'curve:threshold=0.01' 'curve:threshold=0.05,n_warmup_steps=5' 'curve:threshold=0.01,n_warmup_steps=5' \
    'predictor:threshold=0.05' 'predictor:threshold=0.01,n_warmup_steps=5' | tee "$out/pruner_tradeoff.md"

# Section 5: TPE, 30 seeds, 82 s; the presets' threshold on the tuning seeds, 3 min 51 s
# (recorded).
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers tpe --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=3' \
    'median:n_startup_trials=5,n_warmup_steps=4' 'sha:min_resource=3' 'curve:threshold=0.01' 'predictor:threshold=0.01' \
    | tee "$out/pruner_tradeoff_pruning_table_tpe.md"
run python studies/sweep.py --table pruning --seed-offset 1000 --seeds 30 --jobs "$jobs" --samplers random tpe \
    --pruners none 'predictor:threshold=0.005' 'predictor:threshold=0.01' 'predictor:threshold=0.02' \
    'predictor:threshold=0.05' 'curve:threshold=0.005' 'curve:threshold=0.01' 'curve:threshold=0.02' \
    'curve:threshold=0.05' | tee "$out/pruner_presets_pruning_table.md"

# Section 6, what the architecture adds: 77 s and 10 s (recorded).
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers random --pruners none \
    'predictor:threshold=0.01' 'predictor:threshold=0.01,use_choices=True' 'predictor:threshold=0.03,use_choices=True' \
    'predictor:threshold=0.01,use_choices=True,n_warmup_steps=0' 'predictor:threshold=0.03,use_choices=True,n_warmup_steps=0' \
    'predictor:threshold=0.05,use_choices=True,n_warmup_steps=0' | tee "$out/pruner_choices_random.md"
run python studies/pruning_bound.py --table default --thresholds 0.002,0.01,0.015,0.02,0.03 --warmups 1 \
    --choices | tee "$out/pruning_bound_choices_default_table.md"

# Section 7, learning within one study. How much a learnt rule must see: 20 s to 3 min per
# size (recorded); the online rules: 5 min (recorded: 2.5 min per five rules); with a prior:
# 20 s to 1 min each (recorded).
for n in 30 60 200 1000; do
    run python studies/pruning_bound.py --table pruning --thresholds 0.01,0.015,0.02 --warmups 1 --studies 200 \
        --choices --fit-rows "$n"
done | tee "$out/pruning_bound_learnt.md"
run python studies/pruning_online.py --studies 100 --rules direct:threshold=0.01,choice_ridge=1e9 direct:threshold=0.005 \
    direct:threshold=0.01 direct:threshold=0.02 direct:threshold=0.03 chain:threshold=0.002,choice_ridge=1e9 \
    chain:threshold=0.0005 chain:threshold=0.002 chain:threshold=0.005 chain:threshold=0.01 | tee "$out/pruning_online.md"
chains='chain:threshold=0.005,choice_ridge=0.001 chain:threshold=0.01,choice_ridge=0.001 chain:threshold=0.02,choice_ridge=0.001'
{
    run python studies/pruning_online.py --studies 40 --prior-cells 200 --rules direct:threshold=0.01,choice_ridge=0.001 \
        direct:threshold=0.02,choice_ridge=0.001 direct:threshold=0.03,choice_ridge=0.001
    # shellcheck disable=SC2086
    run python studies/pruning_online.py --studies 40 --prior-cells 200 --rules $chains
    # shellcheck disable=SC2086
    run python studies/pruning_online.py --studies 40 --prior-cells 1000 --rules $chains
    # shellcheck disable=SC2086
    run python studies/pruning_online.py --studies 40 --prior-cells 1000 --prior-table pruning --rules $chains
} | tee "$out/pruning_online_prior.md"
# The chain in the real pruner: 2 min 46 s, 3 min 20 s, 2 min, 3 min 11 s and 37 s (recorded).
run python studies/sweep.py --table pruning --seed-offset 1000 --jobs "$jobs" --samplers random tpe --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.002" "$chain,threshold=0.005" \
    'predictor:model="chain",threshold=0.002,n_warmup_steps=0' | tee "$out/pruner_chain_tuning.md"
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers random tpe --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.002" "$chain,threshold=0.005" \
    'predictor:model="chain",threshold=0.005,n_warmup_steps=0' | tee "$out/pruner_chain.md"
run python studies/sweep.py --table pruning --seed-offset 1000 --jobs "$jobs" --samplers random tpe --pruners none \
    'predictor:model="chain",threshold=0.005,use_choices=True' 'predictor:model="chain",threshold=0.01,use_choices=True' \
    'predictor:model="chain",threshold=0.01' | tee "$out/pruner_chain_tuning_warmup2.md"
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'predictor:model="chain",threshold=0.005,use_choices=True' 'predictor:model="chain",threshold=0.01,use_choices=True' \
    | tee "$out/pruner_chain_tpe100_warmup2.md"
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers evolution --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.005" | tee "$out/pruner_chain_evolution.md"

# Section 9, test accuracy under TPE, 30 seeds: about 6 min (recorded).
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers tpe --pruners none 'predictor:' \
    "$chain,threshold=0.005" 'median:n_startup_trials=5,n_warmup_steps=4' 'sha:min_resource=3' 'hyperband:' \
    | tee "$out/pruner_test_accuracy_tpe.md"

# Section 10, longer curves: 393 cells trained for 50 and for 10 epochs, about 37 min (recorded:
# 790 s per 50-epoch probe, 315 to 324 s per 10-epoch one); the analyses were not timed (the
# idealised rule on the table takes 7 to 10 s, the online rules minutes).
cl="$out/curve_length"
mkdir -p "$cl"
for seed in 0 1; do
    for epochs in 50 10; do
        run python studies/population_probe.py 1000 32 cosine 200 $epochs 0.01 $seed "$cl/e${epochs}_s$seed.npz" \
            | tee "$cl/e${epochs}_s$seed.log"
    done
done
for e in e50 e10; do
    run python studies/pruning_bound.py --curves "$cl/${e}_s0.npz" "$cl/${e}_s1.npz" --loo-window 5 \
        --thresholds 0.002,0.01,0.02,0.03,0.05 --warmups 1 --studies 200 | tee "$out/curve_length_bound_$e.md"
done
run python studies/pruning_bound.py --curves "$cl/e50_s0.npz" "$cl/e50_s1.npz" --table-curves --loo-window 5 \
    --thresholds 0.002,0.01,0.02,0.03,0.05 --warmups 1 --studies 200 | tee "$out/curve_length_bound_table.md"
run python studies/pruning_bound.py --table pruning --pool-cells 9445 --loo-window 5 --thresholds 0.01,0.02,0.03,0.05 \
    --warmups 1 --studies 200 | tee "$out/curve_length_bound_all_cells.md"
for seed in 2 3 4 5 6 7; do
    run python studies/pruning_bound.py --table pruning --pool-cells 393 --pool-seed $seed --loo-window 5 \
        --thresholds 0.01,0.02,0.03 --warmups 1 --studies 200
done | tee "$out/curve_length_bound_pools.md"
rules10='median:n_warmup_steps=1 median:n_warmup_steps=2 median:n_warmup_steps=3 direct:threshold=0.005
    direct:threshold=0.01 direct:threshold=0.02 direct:threshold=0.01,choice_ridge=1e9'
run python studies/pruning_online.py --curves "$cl/e50_s0.npz" "$cl/e50_s1.npz" --studies 30 --rules \
    median:n_warmup_steps=5 median:n_warmup_steps=10 median:n_warmup_steps=15 median:n_warmup_steps=20 \
    direct:threshold=0.005 direct:threshold=0.01 direct:threshold=0.02 direct:threshold=0.01,choice_ridge=1e9 \
    | tee "$out/curve_length_online_e50.md"
# shellcheck disable=SC2086
run python studies/pruning_online.py --curves "$cl/e10_s0.npz" "$cl/e10_s1.npz" --studies 30 --rules $rules10 \
    | tee "$out/curve_length_online_e10.md"
# shellcheck disable=SC2086
run python studies/pruning_online.py --curves "$cl/e50_s0.npz" "$cl/e50_s1.npz" --table-curves --studies 30 \
    --rules $rules10 | tee "$out/curve_length_online_table.md"

# Section 11, resuming pruned trials: 10 s each (recorded).
for k in 0 3 10; do
    run python studies/pruning_bound.py --table pruning --thresholds 0.02,0.03,0.05,0.1 --warmups 1 --studies 200 --rescue $k
done | tee "$out/pruning_bound_rescue.md"

# ---- docs/research/samplers.md ---------------------------------------------------------------

# Section 4, ReinforceSampler's preset on the tuning seeds: 4 min (recorded).
run python studies/sweep.py --seed-offset 1000 --seeds 60 --jobs "$jobs" --samplers \
    'reinforce:lr=0.0035,tanh_constant=2.5' 'reinforce:' 'reinforce:lr=0.02' 'reinforce:lr=0.05' \
    'reinforce:tanh_constant=2.0' 'reinforce:temperature=2.0' | tee "$out/tune_reinforce_early.md"

# ---- docs/research/fashion_mnist.md ---------------------------------------------------------

# The truth set's agreement table, from the recorded trainings: seconds. (The trainings
# themselves, about 7.5 core-hours, resume with: python studies/fmnist_setting.py train
# --settings c16-n1-s14-10k-e5 --cells 500 --shard K/2, then pack.)
run python studies/fmnist_setting.py summary | tee "$out/fmnist_setting.md"
# The supernet's ranking at its defaults, seeds 0 to 4: 18 to 55 CPU-min a seed by the
# machine (recorded: 210 to 706 CPU-s pretraining, 1.6 to 5.4 CPU-s a cell, about 11 and 12
# trainings' worth), then one-shot search with their scores: seconds. Then the pretraining's
# length on the first 150 cells: 200 epochs, about 60 CPU-min; 20 epochs, about 20.
for seed in 0 1 2 3 4; do
    run python studies/fmnist_supernet.py --epochs 50 --seed $seed
done
run python studies/fmnist_oneshot.py --scored 100 --retrain 3 | tee "$out/fmnist_oneshot.md"
run python studies/fmnist_supernet.py --epochs 200 --seed 0 --cells 150
run python studies/fmnist_supernet.py --epochs 20 --seed 0 --cells 150
# DARTS on the truth set, every guard: one plain search and one DARTS- search a seed, about
# 35 CPU-min each on the slower machine (studies/results/fmnist_darts.jsonl), then the table.
run python studies/fmnist_darts.py --seeds 5
run python studies/fmnist_darts.py --summarise | tee "$out/fmnist_darts.md"
# The pruners on the truth set's curves: about 10 min (measured).
run python studies/sweep.py --curves truth:fashion_mnist --trials 100 --seeds 30 --seed-offset 0 \
    --jobs "$jobs" --pruners none median:n_startup_trials=5,n_warmup_steps=2 sha:min_resource=1 \
    curve curve:threshold=0.5 predictor predictor:n_warmup_steps=1,threshold=0.4 \
    | tee "$out/fmnist_pruners.md"
