#!/usr/bin/env bash
# Samplers on NAS-Bench-201's own tables (BENCHMARKS.md, "Samplers on NAS-Bench-201").
# Three lanes run side by side, each a loop of small `optunas bench samplers` calls that cycle
# through the tables a chunk of seeds at a time, so that a run stopped early leaves balanced
# partial results; every call streams its runs to its folder's samplers-runs.jsonl.
# studies/nb201_table.py then builds the tables from all the JSON lines found.
#   lane regret: 300 trials rewarded with the 200-epoch accuracy (regret at 100 and 300)
#   lane paper:  the NB201 paper's protocol (12-epoch reward, 12,000 s simulated budget)
#   lane gp:     GPSampler, which costs seconds a trial, on fewer seeds
set -u
cd "$(dirname "$0")/.."
OUT=studies/results/nb201
BENCH="nice -n 10 .venv/bin/optunas bench samplers"
CHEAP=random,tpe,nsga2,evolution,reinforce
TABLES="nb201-cifar10 nb201-cifar100 nb201-imagenet16"

lane() {  # lane NAME SAMPLERS CHUNK SEEDS EXTRA...
    local name=$1 samplers=$2 chunk=$3 seeds=$4
    shift 4
    for ((first = 0; first < seeds; first += chunk)); do
        for table in $TABLES; do
            local dir=$OUT/$name/$table/seeds-$first
            [ -f "$dir/samplers.json" ] && continue  # done in an earlier invocation
            mkdir -p "$dir"
            $BENCH --table "$table" --samplers "$samplers" --seeds "$chunk" \
                --first-seed "$first" --out "$dir" "$@" > "$dir/stdout.txt" 2>&1
        done
    done
}

lane regret "$CHEAP" 20 100 --trials 300 &
lane paper "$CHEAP" 20 100 --protocol paper &
(lane gp-regret gp 5 20 --trials 100; lane gp-paper gp 5 20 --protocol paper) &
wait
