"""The tables of BENCHMARKS.md's "Samplers on NAS-Bench-201", from the runs of
studies/nb201_samplers.sh (every samplers-runs.jsonl under studies/results/nb201, finished
chunks or not: each line is one whole run).

    .venv/bin/python studies/nb201_table.py [--update BENCHMARKS.md] [studies/results/nb201]

With --update, the tables replace what stands between their markers in that file
(``<!-- nb201-paper-table -->`` ... ``<!-- /nb201-paper-table -->``, and the same for
``nb201-regret-table`` and ``nb201-regret300-table``).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from collections import defaultdict
from pathlib import Path

TABLES = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16")
SAMPLERS = (
    "random",
    "tpe",
    "nsga2",
    "gp",
    "evolution",
    "evolution-t5",
    "reinforce",
    "reinforce-d0.99",
)
#: A NAS sampler's former preset, told apart by the setting that changed (runs that recorded
#: no settings had the former): EvolutionSampler's tournament was 5 (10 since), and
#: ReinforceSampler's baseline decay 0.99 (0.9 since the NB201 tuning).
FORMER_PRESETS = {
    "evolution": ("tournament_size", 5, "evolution-t5"),
    "reinforce": ("baseline_decay", 0.99, "reinforce-d0.99"),
}
# Optimum: the best seed-averaged 200-epoch validation accuracy of each table (percent).
OPTIMA = {"nb201-cifar10": 91.6067, "nb201-cifar100": 73.4933, "nb201-imagenet16": 46.7333}
# The paper's validation rows (Dong & Yang, ICLR 2020, arXiv:2001.00326, Table 5): mean and
# standard deviation over its runs, as the paper reports them (12,000 s budget, 12-epoch reward).
# Checked against Mellor et al., "Neural Architecture Search without Training" (ICML 2021),
# Table 2(a), which quotes them from the paper: all twelve agree.
PAPER_ROWS = {
    "RS (paper)": ("90.93 ± 0.36", "70.93 ± 1.09", "44.45 ± 1.10"),
    "REA (paper)": ("91.19 ± 0.31", "71.81 ± 1.12", "45.15 ± 0.89"),
    "REINFORCE (paper)": ("91.09 ± 0.37", "71.61 ± 1.12", "45.05 ± 1.02"),
    "BOHB (paper)": ("90.82 ± 0.53", "70.74 ± 1.29", "44.26 ± 1.36"),
}


def load(root: Path) -> dict[tuple[str, str, str], dict[int, dict]]:
    """Runs by (protocol, table, sampler), then by seed (a seed run twice counts once). Every
    run found counts: the lanes run seeds in order, so each sampler's are seeds 0 to about its
    runs column (EvolutionSampler's rerun and GPSampler's lane reach different ones)."""
    runs: dict[tuple[str, str, str], dict[int, dict]] = defaultdict(dict)
    for path in sorted(root.rglob("samplers-runs.jsonl")):
        for line in path.read_text().splitlines():
            try:
                run = json.loads(line)
            except json.JSONDecodeError:  # a line cut short when a run was stopped
                continue
            protocol = "paper" if run.get("budget_seconds") else "regret"
            sampler = run["sampler"]
            setting, former, label = FORMER_PRESETS.get(sampler, ("", None, sampler))
            if setting and run.get("sampler_settings", {}).get(setting, former) == former:
                sampler = label
            runs[protocol, run["table"], sampler][run["seed"]] = run
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
    for name, row in PAPER_ROWS.items():
        cells = [c for value in row for c in (f"{value.replace(' ± ', ' (')})", "paper")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
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
            # The optimum is rounded: a regret of -0.00 is the optimum found.
            m, se, _ = mean_se(
                [max(0.0, OPTIMA[table] - 100 * r["best_so_far"][at - 1]) for r in mine]
            )
            cells += [f"{m:.3f} ± {se:.3f}", str(len(mine))]
        if set(cells) == {"-"}:
            continue  # a sampler this lane did not run
        lines.append(f"| {sampler} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update(path: Path, marker: str, table: str) -> None:
    text = path.read_text()
    pattern = re.compile(rf"(<!-- {marker} -->\n).*?(<!-- /{marker} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no <!-- {marker} --> ... <!-- /{marker} --> pair")
    path.write_text(pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", default="studies/results/nb201")
    parser.add_argument("--update", type=Path, default=None)
    args = parser.parse_args()
    runs = load(Path(args.root))
    paper, regret = paper_table(runs), regret_table(runs, 100)
    regret300 = regret_table(runs, 300)
    print("Paper protocol: 200-epoch validation accuracy (%) of the returned cell\n")
    print(paper)
    print("\nRegret (pp) after 100 trials, reward = 200-epoch accuracy\n")
    print(regret)
    print("\nRegret (pp) after 300 trials, the same reward\n")
    print(regret300)
    if args.update:
        update(args.update, "nb201-paper-table", paper)
        update(args.update, "nb201-regret-table", regret)
        update(args.update, "nb201-regret300-table", regret300)


if __name__ == "__main__":
    main()
