#!/usr/bin/env bash
# Samplers on NAS-Bench-201's own tables (BENCHMARKS.md, "Samplers on NAS-Bench-201").
# Each lane is a loop of small `optunas bench samplers` calls that cycle through the three
# tables a chunk of seeds at a time, so that a run stopped early leaves balanced partial
# results; every call streams its runs to its folder's samplers-runs.jsonl, and a chunk whose
# samplers.json exists is not run again. studies/nb201_table.py builds the tables from them.
#   paper:  the NB201 paper's protocol (12-epoch reward, 12,000 s simulated budget), 100 seeds
#   regret: 100 trials rewarded with the 200-epoch accuracy, 100 seeds
#   regret300: TPE and EvolutionSampler to 300 trials (their first 100 are the regret
#           lane's, seed for seed)
#   gp:     GPSampler (seconds a trial) under the paper's protocol, on fewer seeds
#   evolution: EvolutionSampler alone, both protocols (its preset changed during the runs)
#   reinforce: ReinforceSampler alone, both protocols (its preset changed after the runs)
# Usage: studies/nb201_samplers.sh LANE...  (each lane in the background; all: paper regret gp)
set -u
cd "$(dirname "$0")/.."
OUT=studies/results/nb201
BENCH="nice -n ${NICE:-10} .venv/bin/optunas bench samplers"
CHEAP=random,tpe,nsga2,evolution,reinforce
TABLES="nb201-cifar10 nb201-cifar100 nb201-imagenet16"

lane() {  # lane NAME SAMPLERS CHUNK SEEDS EXTRA...
    local name=$1 samplers=$2 chunk=$3 seeds=$4
    shift 4
    for ((first = 0; first < seeds; first += chunk)); do
        for table in $TABLES; do
            local dir=$OUT/$name/$table/seeds-$first
            [ -f "$dir/samplers.json" ] && continue
            mkdir -p "$dir"
            $BENCH --table "$table" --samplers "$samplers" --seeds "$chunk" \
                --first-seed "$first" --out "$dir" "$@" > "$dir/stdout.txt" 2>&1
        done
    done
}

for name in "$@"; do
    case $name in
        paper) lane paper "$CHEAP" 20 100 --protocol paper & ;;
        regret) lane regret "$CHEAP" 20 100 --trials 100 & ;;
        regret300) lane regret300 tpe,evolution 20 100 --trials 300 & ;;
        gp) lane gp-paper gp 2 10 --protocol paper & ;;
        # EvolutionSampler's preset changed (tournament 5 -> 10) while the lanes ran: its
        # runs again, on every seed, for both protocols.
        evolution) (lane evolution-paper evolution 20 100 --protocol paper
                    lane evolution-regret evolution 20 100 --trials 100) & ;;
        # ReinforceSampler's preset changed (baseline decay 0.99 -> 0.9) after the lanes ran.
        reinforce) (lane reinforce-paper reinforce 20 100 --protocol paper
                    lane reinforce-regret reinforce 20 100 --trials 100) & ;;
        *) echo "unknown lane $name" >&2 ;;
    esac
done
wait
