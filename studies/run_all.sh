#!/usr/bin/env bash
# Every benchmark quoted in BENCHMARKS.md, in order; outputs under studies/results/.
# Usage: bash studies/run_all.sh [jobs]   (about 4.5 hours on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
out=studies/results
mkdir -p "$out"
run() { echo "\$ $*" | tee -a "$out/commands.txt"; "$@"; }
run python studies/nb201_table_stats.py | tee "$out/table_stats.md"
run python -m optunas bench samplers --samplers random,tpe,nsga2,cmaes,reinforce,evolution \
    --seeds 100 --trials 200 --overhead-trials 1010 --jobs "$jobs" --out "$out/samplers100" | tee "$out/samplers100.md"
run python -m optunas bench samplers --samplers gp,random --gp-seeds 10 --seeds 30 --trials 200 \
    --jobs "$jobs" --out "$out/gp" | tee "$out/gp.md"
# ReinforceSampler's preset: learning within a 60-trial study, and regret, on the tuning seeds.
run python studies/early_learning.py --samplers reinforce 'reinforce:lr=0.0035,tanh_constant=2.5' \
    evolution random 'reinforce:lr=0.02' 'reinforce:lr=0.05' 'reinforce:tanh_constant=2.0' \
    'reinforce:temperature=2.0' --seeds 200 --jobs "$jobs" | tee "$out/early_learning.md"
run python studies/sweep.py --seed-offset 1000 --seeds 60 --jobs "$jobs" --samplers \
    'reinforce:lr=0.0035,tanh_constant=2.5' 'reinforce:' 'reinforce:lr=0.02' 'reinforce:lr=0.05' \
    'reinforce:tanh_constant=2.0' 'reinforce:temperature=2.0' | tee "$out/tune_reinforce_early.md"
run python -m optunas bench pruners --pruners none,median,sha,hyperband,curve,predictor \
    --samplers random,tpe --seeds 30 --trials 200 --jobs "$jobs" --out "$out/pruners" | tee "$out/pruners.md"
# The table for pruners: its statistics, the pruners on it, and the idealised yardstick.
run python studies/nb201_table_stats.py pruning | tee "$out/table_stats_pruning.md"
run python -m optunas bench pruners --table pruning --pruners none,median,sha,hyperband,curve,predictor \
    --samplers random,tpe --seeds 30 --trials 200 --jobs "$jobs" --out "$out/pruners_pruning_table" | tee "$out/pruners_pruning_table.md"
run python studies/pruning_bound.py --table pruning | tee "$out/pruning_bound.md"
run python studies/pruning_bound.py --table default | tee "$out/pruning_bound_default_table.md"
# The pruners' preset threshold (tuning seeds), TPE over 100 seeds, the ops as features, and
# the papers' measure (epochs to reach no pruning's regret).
run python studies/sweep.py --table pruning --seed-offset 1000 --seeds 30 --jobs "$jobs" --samplers random tpe \
    --pruners none 'predictor:threshold=0.005' 'predictor:threshold=0.01' 'predictor:threshold=0.02' \
    'predictor:threshold=0.05' 'curve:threshold=0.005' 'curve:threshold=0.01' 'curve:threshold=0.02' \
    'curve:threshold=0.05' | tee "$out/pruner_presets_pruning_table.md"
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=3' \
    'median:n_startup_trials=5,n_warmup_steps=4' 'predictor:threshold=0.01' 'predictor:threshold=0.03' \
    'predictor:threshold=0.01,use_choices=True,n_warmup_steps=0' 'hyperband:' 'hyperband:min_resource=2' \
    'sha:min_resource=3' 'curve:threshold=0.01' 'predictor:threshold=0.03,use_choices=True,n_warmup_steps=0' \
    'predictor:threshold=0.01,use_choices=True' | tee "$out/pruner_tradeoff_pruning_table_tpe100.md"
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers random --pruners none \
    'predictor:threshold=0.01' 'predictor:threshold=0.01,use_choices=True' 'predictor:threshold=0.03,use_choices=True' \
    'predictor:threshold=0.01,use_choices=True,n_warmup_steps=0' 'predictor:threshold=0.03,use_choices=True,n_warmup_steps=0' \
    'predictor:threshold=0.05,use_choices=True,n_warmup_steps=0' | tee "$out/pruner_choices_random.md"
run python studies/pruning_bound.py --table pruning --thresholds 0.002,0.01,0.015,0.02,0.03 --warmups 1,2 \
    --choices | tee "$out/pruning_bound_choices.md"
run python studies/pruning_bound.py --table default --thresholds 0.002,0.01,0.015,0.02,0.03 --warmups 1 \
    --choices | tee "$out/pruning_bound_choices_default_table.md"
run python studies/pruning_speedup.py --seeds 100 --max-trials 1000 --jobs "$jobs" --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=3' \
    'median:n_startup_trials=5,n_warmup_steps=4' 'sha:' 'sha:min_resource=2' 'hyperband:' 'curve:' 'predictor:' \
    'predictor:use_choices=True,n_warmup_steps=0' | tee "$out/pruning_speedup.md"
run python studies/pruning_speedup.py --sampler tpe --seeds 50 --max-trials 600 --jobs "$jobs" --pruners none \
    'median:n_startup_trials=5,n_warmup_steps=2' 'median:n_startup_trials=5,n_warmup_steps=4' 'sha:' \
    'sha:min_resource=3' 'hyperband:' 'hyperband:min_resource=2' 'curve:' 'predictor:' | tee "$out/pruning_speedup_tpe.md"
# How much a learnt pruner must see, and PredictorPruner(model="chain").
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
    run python studies/pruning_online.py --studies 40 --prior-cells 200 --rules $chains
    run python studies/pruning_online.py --studies 40 --prior-cells 1000 --rules $chains
    run python studies/pruning_online.py --studies 40 --prior-cells 1000 --prior-table pruning --rules $chains
} | tee "$out/pruning_online_prior.md"
chain='predictor:model="chain",use_choices=True,n_warmup_steps=0'
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
    'predictor:threshold=0.01' "$chain,threshold=0.002" "$chain,threshold=0.005" \
    'predictor:model="chain",threshold=0.005,n_warmup_steps=0' | tee "$out/pruner_chain_tpe100.md"
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'predictor:model="chain",threshold=0.005,use_choices=True' 'predictor:model="chain",threshold=0.01,use_choices=True' \
    | tee "$out/pruner_chain_tpe100_warmup2.md"
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers evolution --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.005" | tee "$out/pruner_chain_evolution.md"
run python studies/pruning_speedup.py --seeds 100 --max-trials 1000 --jobs "$jobs" --pruners none 'predictor:' \
    "$chain,threshold=0.005" "$chain,threshold=0.01" | tee "$out/pruning_speedup_chain.md"
run python studies/pruning_calibration.py --sampler random | tee "$out/pruning_calibration_random.md"
run python studies/pruning_calibration.py --sampler tpe | tee "$out/pruning_calibration_tpe.md"
# Is the regret a pruner loses also lost in test accuracy? (reported seeds)
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --pruners none 'predictor:' \
    "$chain,threshold=0.005" "$chain,threshold=0.01" "$chain,threshold=0.02" "$chain,threshold=0.05" \
    'predictor:threshold=0.05' 'median:n_startup_trials=5,n_warmup_steps=1' 'median:n_startup_trials=5,n_warmup_steps=2' \
    'median:n_startup_trials=5,n_warmup_steps=3' 'sha:' 'hyperband:' | tee "$out/pruner_test_accuracy_random.md"
run python studies/sweep.py --table pruning --seed-offset 0 --jobs "$jobs" --samplers tpe --pruners none 'predictor:' \
    "$chain,threshold=0.005" 'median:n_startup_trials=5,n_warmup_steps=4' 'sha:min_resource=3' 'hyperband:' \
    | tee "$out/pruner_test_accuracy_tpe.md"
run python studies/sweep.py --table pruning --seed-offset 0 --seeds 100 --jobs "$jobs" --samplers tpe --pruners none \
    'predictor:threshold=0.01' "$chain,threshold=0.005" 'median:n_startup_trials=5,n_warmup_steps=4' \
    | tee "$out/pruner_test_accuracy_tpe100.md"
{
    run python studies/pruning_bound.py --table pruning --sampler tpe --thresholds 0.002,0.005,0.01,0.02,0.03,0.05 \
        --warmups 1 --studies 100
    run python studies/pruning_bound.py --table pruning --sampler tpe --choices \
        --thresholds 0.002,0.005,0.01,0.015,0.02,0.03 --warmups 1 --studies 100
} | tee "$out/pruning_bound_tpe.md"
{
    run python studies/pruning_bound.py --table pruning --thresholds 0.002,0.005,0.01,0.02,0.03 --warmups 1 --studies 200
    run python studies/pruning_bound.py --table pruning --expected-improvement --warmups 1 --studies 200 \
        --thresholds 0.0005,0.001,0.002,0.005,0.01,0.02,0.03,0.05
} | tee "$out/pruning_bound_ei.md"
for k in 0 3 10; do
    run python studies/pruning_bound.py --table pruning --thresholds 0.02,0.03,0.05,0.1 --warmups 1 --studies 200 --rescue $k
done | tee "$out/pruning_bound_rescue.md"
# Would longer curves reach the goal? 393 cells trained for 50 and for 10 epochs (about 40 min).
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
run python studies/real_pruning.py --pruners none,median,curve,predictor --trials 20 --seeds 2 --jobs "$jobs" | tee "$out/real_pruning.md"
run python studies/multiobjective_hypervolume.py --samplers evolution,nsga2,tpe,random \
    --seeds 30 --trials 200 --jobs "$jobs" | tee "$out/hypervolume.md"
# The GP's per-trial cost as the study grows, beside TPE's.
run python studies/sampler_overhead.py --samplers gp,tpe,random --space nb201 | tee "$out/overhead_nb201.md"
run python studies/sampler_overhead.py --samplers gp,tpe,random --space chain | tee "$out/overhead_chain.md"
