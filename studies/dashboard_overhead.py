"""What the dashboard costs a study: drawing and uploading each trial's architecture, and
redrawing the study's charts (StudyCharts) at 100 and 1,000 trials, on SQLite.

1. Drawing: ``--draw-trials`` trials of each space on an SQLite study, new and holding 1,000
   drawn trials, each drawn with ``draw_trial`` (the SVG, the artifact upload into the
   folder beside the database, the trial's note); the time is the user attr ``draw_ms`` it
   records, as in a real study.
2. Charts: an SQLite copy of a study of the tabular objective (a trial is a table lookup)
   at 100 and at 1,000 trials, one with ReinforceSampler (its policy entropy
   adds a chart) and one two-objective with random search (the Pareto front and learning
   curves instead); at each size the refresh (every chart read from the trials and written)
   is timed ``--repeats`` times, and so is the check the callback makes after every trial
   (counting finished trials) when it does not redraw.

The per-trial share of the charts is refresh / every + check, with every = 10, the
``optunas`` command's default. About 12 minutes on a 2-core VM heavily loaded by other
jobs (load average 17-26), a few on an idle one; run it niced:

    nice -n 10 python studies/dashboard_overhead.py [--draw-trials 40] [--repeats 5]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import tempfile
import time

import optuna

from optunas.benchmarks import TabularObjective
from optunas.dashboard import StudyCharts, draw_trial
from optunas.samplers import ReinforceSampler
from optunas.spaces import NB201, Chain

EVERY = 10


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


def _draw(study: optuna.Study, space, trials: int, store=None) -> list[float]:
    """Draw ``trials`` new trials of ``study``; their ``draw_ms``."""
    times = []
    for _ in range(trials):
        trial = study.ask()
        draw_trial(trial, space, space.suggest(trial), store)
        study.tell(trial, 0.0)
        times.append(study._storage.get_trial(trial._trial_id).user_attrs["draw_ms"])
    return times


def time_drawing(folder: str, trials: int) -> dict[str, dict[str, float]]:
    """Median and 90th percentile of ``draw_ms`` per space, in a new study and in one that
    holds 1,000 drawn trials (their notes are study system attrs, which grow with it)."""
    out = {}
    for space in (NB201(), Chain()):
        for size in (0, 1000):
            name = f"draw-{space.name}-{size}"
            storage = f"sqlite:///{os.path.join(folder, f'{name}.db')}"
            if size:
                # The 1,000 trials are drawn in memory (fast) and copied to SQLite, notes
                # and all: what a drawing costs depends on what is stored, not how.
                source = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
                os.makedirs(os.path.join(folder, name))
                store = optuna.artifacts.FileSystemArtifactStore(os.path.join(folder, name))
                _draw(source, space, size, store)
                optuna.copy_study(
                    from_study_name=source.study_name,
                    from_storage=source._storage,
                    to_storage=storage,
                    to_study_name=name,
                )
                study = optuna.load_study(study_name=name, storage=storage)
            else:
                study = optuna.create_study(storage=storage, study_name=name)
            times = _draw(study, space, trials)
            out[f"{space.name}, at {size}"] = {
                "median_ms": statistics.median(times),
                "p90_ms": _p90(times),
            }
    return out


def _timed_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def _chart_ids(study: optuna.Study) -> list[str]:
    """The chart ids the study holds (to report how many were drawn)."""
    from optuna_dashboard._custom_plot_data import list_graph_object_ids

    return list_graph_object_ids(study._storage.get_study_system_attrs(study._study_id))


def time_charts(folder: str, name: str, repeats: int) -> dict[str, dict[str, float]]:
    """Refresh and per-trial check, in ms, at 100 and 1,000 trials."""
    two = name == "two-objective"
    # The trials are made in memory and copied to SQLite: what a refresh costs depends on
    # the trials stored, not on how they got there, and a busy machine makes 1,000 trials
    # of some twenty SQLite writes each take many minutes.
    source = optuna.create_study(
        directions=["maximize", "minimize"] if two else ["maximize"],
        sampler=optuna.samplers.RandomSampler(seed=0) if two else ReinforceSampler(seed=0),
        pruner=optuna.pruners.NopPruner(),
    )
    objective = TabularObjective()
    out = {}
    for size in (100, 1000):
        source.optimize(objective, n_trials=size - len(source.trials))
        study_name = f"{name}-{size}"
        storage = f"sqlite:///{os.path.join(folder, f'charts-{study_name}.db')}"
        optuna.copy_study(
            from_study_name=source.study_name,
            from_storage=source._storage,
            to_storage=storage,
            to_study_name=study_name,
        )
        study = optuna.load_study(study_name=study_name, storage=storage)
        charts = StudyCharts(every=10**9)  # never redraws by itself: the check alone
        last = study.trials[-1]
        out[str(size)] = {
            "refresh_ms": _timed_ms(functools.partial(charts.refresh, study), repeats),
            "check_ms": _timed_ms(functools.partial(charts, study, last), repeats),
            "charts": len(_chart_ids(study)),
        }
        out[str(size)]["per_trial_ms"] = (
            out[str(size)]["refresh_ms"] / EVERY + out[str(size)]["check_ms"]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draw-trials", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="studies/results/dashboard_overhead.json")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        result = {
            "drawing": time_drawing(folder, args.draw_trials),
            "charts": {
                name: time_charts(folder, name, args.repeats)
                for name in ("reinforce", "two-objective")
            },
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    with open(args.out, "w") as file:
        json.dump(result, file, indent=1)
    print("| what | trials | median ms | per trial, ms |")
    print("|---|---:|---:|---:|")
    for key, row in result["drawing"].items():
        space, size = key.split(", at ")
        print(
            f"| draw + upload + note, {space} (p90 {row['p90_ms']:.0f} ms) | {size} | "
            f"{row['median_ms']:.1f} | {row['median_ms']:.1f} |"
        )
    for name, sizes in result["charts"].items():
        for size, row in sizes.items():
            print(
                f"| charts, {name} ({row['charts']} charts): refresh / check | {size} | "
                f"{row['refresh_ms']:.0f} / {row['check_ms']:.1f} | {row['per_trial_ms']:.1f} |"
            )
    print(f"\n{result['seconds']} s; wrote {args.out}")


if __name__ == "__main__":
    main()
