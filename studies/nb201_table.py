"""The tables of BENCHMARKS.md's "Samplers on NAS-Bench-201", from the runs of
studies/nb201_samplers.sh (every samplers-runs.jsonl under studies/results/nb201, finished
chunks or not: each line is one whole run).

    .venv/bin/python studies/nb201_table.py [studies/results/nb201]
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

TABLES = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16")
SAMPLERS = ("random", "tpe", "nsga2", "gp", "evolution", "reinforce")
# Optimum: the best seed-averaged 200-epoch validation accuracy of each table (percent).
OPTIMA = {"nb201-cifar10": 91.6067, "nb201-cifar100": 73.4933, "nb201-imagenet16": 46.7333}


def load(root: Path) -> dict[tuple[str, str, str], dict[int, dict]]:
    """Runs by (protocol, table, sampler), then by seed (a seed run twice counts once)."""
    runs: dict[tuple[str, str, str], dict[int, dict]] = defaultdict(dict)
    for path in sorted(root.rglob("samplers-runs.jsonl")):
        for line in path.read_text().splitlines():
            try:
                run = json.loads(line)
            except json.JSONDecodeError:  # a line cut short when a run was stopped
                continue
            protocol = "paper" if run.get("budget_seconds") else "regret"
            runs[protocol, run["table"], run["sampler"]][run["seed"]] = run
    return runs


def mean_se(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0] if values else math.nan), math.nan, math.nan
    std = statistics.stdev(values)
    return statistics.fmean(values), std / math.sqrt(len(values)), std


def paper_table(runs) -> str:
    head = "| sampler | " + " | ".join(
        f"{t.removeprefix('nb201-')}: acc ± SE (std) | runs, queries" for t in TABLES
    )
    lines = [head + " |", "|---" * (1 + 2 * len(TABLES)) + "|"]
    for sampler in SAMPLERS:
        cells = []
        for table in TABLES:
            mine = list(runs.get(("paper", table, sampler), {}).values())
            if not mine:
                cells += ["-", "-"]
                continue
            m, se, std = mean_se([100 * r["found_valid"] for r in mine])
            queries = statistics.fmean(r["queries"] for r in mine)
            cells += [f"{m:.2f} ± {se:.2f} ({std:.2f})", f"{len(mine)}, {queries:.0f}"]
        lines.append(f"| {sampler} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def regret_table(runs, at: int) -> str:
    head = "| sampler | " + " | ".join(f"{t.removeprefix('nb201-')} | runs" for t in TABLES)
    lines = [head + " |", "|---" * (1 + 2 * len(TABLES)) + "|"]
    for sampler in SAMPLERS:
        cells = []
        for table in TABLES:
            mine = [
                r
                for r in runs.get(("regret", table, sampler), {}).values()
                if len(r["best_so_far"]) >= at
            ]
            if not mine:
                cells += ["-", "-"]
                continue
            m, se, _ = mean_se([OPTIMA[table] - 100 * r["best_so_far"][at - 1] for r in mine])
            cells += [f"{m:.2f} ± {se:.2f}", str(len(mine))]
        lines.append(f"| {sampler} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "studies/results/nb201")
    runs = load(root)
    print("Paper protocol: 200-epoch validation accuracy (%) of the returned cell\n")
    print(paper_table(runs))
    print("\nRegret (pp) after 100 trials, reward = 200-epoch accuracy\n")
    print(regret_table(runs, 100))


if __name__ == "__main__":
    main()
