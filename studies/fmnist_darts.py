"""Where DARTS's derived cell lands in the Fashion-MNIST truth set, guard by guard.

    python studies/fmnist_darts.py [--seeds 5] [--epochs 50]     # resumable
    python studies/fmnist_darts.py --search plain                 # one search kind only
    python studies/fmnist_darts.py --summarise

Each search runs :class:`~optunas.evaluation.DartsSearch` at its defaults (first order, 50
epochs, perturbation-based selection) on the truth set's own network and images: NB201 cells of
16 channels, one per stage, 14x14 Fashion-MNIST, the truth set's 10,000 training images (half
train the weights, half the alphas). One plain search serves every guard that reads its end
state (``none`` by the largest alpha without ``none``, ``average``, ``pt``); DARTS- (the
``dartsminus`` guard) trains differently and runs its own search. Each derived cell is then
trained as the truth set's cells are, with the same recipe and the same two seeds
(studies/fmnist_setting.py; a cell the truth set holds is taken from it), and placed among the
truth set's cells: its percentile is the share of them whose truth (the mean of the two
trainings) lies below its own. Results go to studies/results/fmnist_darts.jsonl, a line per
search; a stopped run resumes, and two processes (``--search plain`` and ``--search
dartsminus``, or ``--first-seed``) may share the file.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import optuna
import torch
from darts_bench import _rules
from fmnist_setting import SEEDS, SETTINGS, search_inputs, train_one, truth_set

from optunas.benchmarks import arch_index, canonical
from optunas.evaluation import DartsSearch

RESULTS = Path(__file__).resolve().parent / "results" / "fmnist_darts.jsonl"
#: The guards read from one plain search's end state, by the name darts_bench.py gives them.
PLAIN_GUARDS = {"none": "argmax_no_none", "average": "average_no_none", "pt": "pt"}
#: The searches one seed runs, by name: the plain one and DARTS-'s own.
SEARCHES = ("plain", "dartsminus")


def _search(
    setting_name: str, epochs: int, seed: int, kind: str
) -> dict[str, tuple[tuple[str, ...], float]]:
    """The cell each guard derives from one search, with the search's CPU seconds."""
    space, dataset = search_inputs(SETTINGS[setting_name])
    guard = "none" if kind == "plain" else "dartsminus"
    search = DartsSearch(space, dataset, epochs=epochs, guard=guard, seed=seed, draw=False)
    started = time.process_time()
    search.run()
    cpu_s = time.process_time() - started
    if kind == "dartsminus":
        return {"dartsminus": (search.derived(), cpu_s)}
    derived = _rules(search)
    return {guard: (derived[rule], cpu_s) for guard, rule in PLAIN_GUARDS.items()}


def _truth_of(setting_name: str, ops: tuple[str, ...], truth) -> dict:
    """The mean final accuracy of the cell trained with the truth set's recipe and seeds, and
    the CPU seconds of a training when it was trained here rather than found in the truth set."""
    index = arch_index(canonical(ops))
    rows = np.flatnonzero(truth.cells == index)
    if len(rows):
        return {"valid": round(float(truth.valid[rows[0]]), 4), "in_truth_set": True}
    runs = [train_one(SETTINGS[setting_name], index, seed) for seed in SEEDS]
    return {
        "valid": round(float(np.mean([r["curve"][-1] for r in runs])), 4),
        "in_truth_set": False,
        "train_cpu_s": round(float(np.mean([r["cpu_s"] for r in runs])), 1),
    }


def run(setting_name: str, seeds: range, epochs: int, kinds: tuple[str, ...]) -> None:
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    truth = truth_set(setting_name)
    for seed in seeds:
        for kind in kinds:
            _run_one(setting_name, seed, epochs, kind, truth)


def _run_one(setting_name: str, seed: int, epochs: int, kind: str, truth) -> None:
    """One search and its derived cells' truth, appended as a line; skipped when recorded."""
    done = {(r["setting"], r["seed"], r["epochs"], r["search"]) for r in _rows()}
    if (setting_name, seed, epochs, kind) in done:
        return
    record: dict = {
        "setting": setting_name,
        "seed": seed,
        "epochs": epochs,
        "search": kind,
        "guards": {},
    }
    for guard, (ops, cpu_s) in _search(setting_name, epochs, seed, kind).items():
        record["guards"][guard] = {
            "genotype": "|".join(ops),
            **_truth_of(setting_name, ops, truth),
            "search_cpu_s": round(cpu_s, 1),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def _rows() -> list[dict]:
    if not RESULTS.exists():
        return []
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]


def summarise(setting_name: str, epochs: int) -> None:
    """Per guard: the percentile of each seed's cell among the truth set's cells (all of them,
    as the truth set now stands), their mean and its standard error."""
    truth = truth_set(setting_name)
    rows = [r for r in _rows() if (r["setting"], r["epochs"]) == (setting_name, epochs)]
    print(f"{len(truth)} truth cells; {epochs} epochs; searches: {len(rows)}")
    print("| guard | seeds | percentile per seed | mean percentile | mean valid | search CPU s |")
    print("|---|---:|---|---:|---:|---:|")
    guards = {guard: [] for r in rows for guard in r["guards"]}
    for r in sorted(rows, key=lambda r: r["seed"]):
        for guard, found in r["guards"].items():
            guards[guard].append(found)
    for guard, found in guards.items():
        ranks = [100 * float((truth.valid < g["valid"]).mean()) for g in found]
        se = np.std(ranks, ddof=1) / np.sqrt(len(ranks)) if len(ranks) > 1 else float("nan")
        print(
            f"| {guard} | {len(ranks)} | {', '.join(f'{p:.0f}' for p in ranks)} "
            f"| {np.mean(ranks):.1f} ± {se:.1f} "
            f"| {100 * np.mean([g['valid'] for g in found]):.2f} "
            f"| {np.mean([g['search_cpu_s'] for g in found]):.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="search seeds 0 to N-1")
    parser.add_argument("--first-seed", type=int, default=0, help="start at this seed")
    parser.add_argument("--search", choices=SEARCHES, help="run this search only")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--setting", default="c16-n1-s14-10k-e5")
    parser.add_argument("--summarise", action="store_true")
    args = parser.parse_args()
    if args.summarise:
        summarise(args.setting, args.epochs)
    else:
        kinds = (args.search,) if args.search else SEARCHES
        run(args.setting, range(args.first_seed, args.seeds), args.epochs, kinds)


if __name__ == "__main__":
    main()
