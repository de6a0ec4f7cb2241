"""Per-call cost of `optunas ask` / `tell` against `optuna ask` / `tell` on one storage.

Each call is a fresh process, as in a shell loop. The two commands are timed alternately on
the same study, so a busy machine slows both alike; the table gives the median wall-clock
seconds per call and the ratio. The optunas samplers, which `optuna ask` cannot name, are
timed too (ReinforceSampler loads torch for its controller).

    python studies/cli_overhead.py --calls 15 [--storage sqlite:///overhead.db]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import optuna

BIN = os.path.dirname(sys.executable)
SPACE = json.dumps(
    {
        "x": {
            "name": "FloatDistribution",
            "attributes": {"low": 0.0, "high": 1.0, "log": False, "step": None},
        }
    }
)


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout


def _ask_tell(tool: str, storage: str, study: str, sampler: str | None) -> tuple[float, float]:
    ask = [
        os.path.join(BIN, tool),
        "ask",
        "--storage",
        storage,
        "--study-name",
        study,
        "--search-space",
        SPACE,
        "-f",
        "json",
    ]
    if sampler:
        ask += ["--sampler", sampler, "--sampler-kwargs", '{"seed": 0}']
    ask_s, out = _timed(ask)
    number = json.loads(out)["number"]
    tell_s, _ = _timed(
        [
            os.path.join(BIN, tool),
            "tell",
            "--storage",
            storage,
            "--study-name",
            study,
            "--trial-number",
            str(number),
            "--values",
            "0.5",
        ]
    )
    return ask_s, tell_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--storage", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    storage = args.storage or f"sqlite:///{folder}/overhead.db"
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rows = []
    for sampler in (None, "TPESampler"):
        times: dict[str, list[tuple[float, float]]] = {"optuna": [], "optunas": []}
        for tool in times:
            optuna.create_study(
                study_name=f"{tool}-{sampler}", storage=storage, direction="maximize"
            )
        for _ in range(args.calls):
            for tool in times:  # alternate, so load drifts hit both
                times[tool].append(_ask_tell(tool, storage, f"{tool}-{sampler}", sampler))
        medians = {
            tool: (statistics.median(a for a, _ in t), statistics.median(b for _, b in t))
            for tool, t in times.items()
        }
        rows.append((sampler or "(study default)", medians))
    print(f"storage {storage.split(':')[0]}, {args.calls} calls each, median seconds per call\n")
    print("| sampler | optuna ask | optunas ask | ratio | optuna tell | optunas tell | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for sampler, m in rows:
        (oa, ot), (na, nt) = m["optuna"], m["optunas"]
        print(
            f"| {sampler} | {oa:.2f} | {na:.2f} | {na / oa:.2f} | {ot:.2f} | {nt:.2f} | "
            f"{nt / ot:.2f} |"
        )
    for sampler in ("EvolutionSampler", "ReinforceSampler"):
        optuna.create_study(study_name=sampler, storage=storage, direction="maximize")
        calls = [_ask_tell("optunas", storage, sampler, sampler) for _ in range(args.calls)]
        print(
            f"| {sampler} | (not available) | {statistics.median(a for a, _ in calls):.2f} | "
            f"| | {statistics.median(b for _, b in calls):.2f} | |"
        )


if __name__ == "__main__":
    main()
