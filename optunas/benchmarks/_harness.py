"""The benchmark harness: samplers and pruners side by side on the tabular benchmark."""

from __future__ import annotations

import json
import math
import multiprocessing
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from optunas.benchmarks._nb201 import PRUNING_SETTING, SETTING, BenchmarkSetting
from optunas.benchmarks._objective import TabularObjective
from optunas.benchmarks._table import NB201Table, load_nb201_table
from optunas.pruners import get_pruner
from optunas.samplers import get_sampler

CHECKPOINTS = (10, 25, 50, 100, 200)


_SETTINGS: dict[str, BenchmarkSetting] = {"default": SETTING, "pruning": PRUNING_SETTING}


def _objective(real_epochs: int | None, table: NB201Table, setting: BenchmarkSetting) -> Any:
    if real_epochs is None:
        return TabularObjective(table)
    from optunas.evaluation import TrainObjective
    from optunas.spaces import NB201

    recipe = setting.recipe
    space = NB201(channels=setting.channels, cells_per_stage=setting.cells_per_stage)
    return TrainObjective(
        space,
        setting.dataset(),
        epochs=real_epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        weight_decay=recipe.weight_decay,
        schedule=recipe.schedule,
        device="cpu",
    )


def _study_run(
    sampler: str,
    pruner: str,
    seed: int,
    trials: int,
    real_epochs: int | None = None,
    variant: str = "default",
) -> dict[str, Any]:
    """One seeded study on the table (or, with ``real_epochs``, with real training); what
    the summaries need, as plain lists."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    table = load_nb201_table(variant=variant)
    study = optuna.create_study(
        direction="maximize", sampler=get_sampler(sampler, seed), pruner=get_pruner(pruner)
    )
    objective = _objective(real_epochs, table, _SETTINGS[variant])
    durations: list[float] = []
    for _ in range(trials):
        started = time.perf_counter()
        study.optimize(objective, n_trials=1)
        durations.append(time.perf_counter() - started)
    best_so_far, best_value, best_row = [], -math.inf, None
    epochs = 0
    for trial in study.trials:
        epochs += trial.user_attrs.get("epochs", 0)
        if trial.state == optuna.trial.TrialState.COMPLETE and trial.value > best_value:
            best_value = trial.value
            best_row = table.index(objective.space.genotype(trial.params))
        best_so_far.append(best_value)
    return {
        "sampler": sampler,
        "pruner": pruner,
        "seed": seed,
        "best_so_far": best_so_far,
        "durations": durations,
        "epochs": epochs,
        "best_test": float(table.test[best_row]) if best_row is not None else math.nan,
    }


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return statistics.fmean(values), se


def _run_all(jobs: list[tuple[Any, ...]], processes: int) -> list[dict[str, Any]]:
    if processes <= 1:
        return [_study_run(*job) for job in jobs]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.starmap(_study_run, jobs)


def _summaries(
    runs: list[dict[str, Any]], optimum: float, key: str, checkpoints: Sequence[int]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in dict.fromkeys(r[key] for r in runs):
        mine = [r for r in runs if r[key] == name]
        trials = len(mine[0]["best_so_far"])
        regret = {
            str(c): _mean_se([100 * (optimum - r["best_so_far"][c - 1]) for r in mine])
            for c in checkpoints
            if c <= trials
        }
        curve = np.array([[100 * (optimum - v) for v in r["best_so_far"]] for r in mine])
        out[name] = {
            "seeds": len(mine),
            "regret_pp": regret,
            "regret_curve_mean": np.nanmean(curve, axis=0).tolist(),
            "regret_curve_se": (np.nanstd(curve, axis=0, ddof=1) / math.sqrt(len(mine))).tolist()
            if len(mine) > 1
            else [0.0] * trials,
            "best_test": _mean_se([r["best_test"] for r in mine]),
            "epochs": _mean_se([r["epochs"] for r in mine]),
            "median_trial_ms": 1000 * statistics.median(d for r in mine for d in r["durations"]),
        }
    return out


def _overhead_ms(
    sampler: str, trials: int, around: Sequence[int], seed: int = 0
) -> dict[str, float]:
    durations = _study_run(sampler, "none", seed, trials)["durations"]
    return {
        str(at): 1000 * statistics.median(durations[max(0, at - 10) : at + 10])
        for at in around
        if at + 10 <= len(durations)
    }


def bench_samplers(
    samplers: Sequence[str],
    seeds: int = 30,
    trials: int = 200,
    overhead_trials: int = 0,
    processes: int = 1,
    checkpoints: Sequence[int] = CHECKPOINTS,
    seed_limits: dict[str, int] | None = None,
    real_epochs: int | None = None,
    variant: str = "default",
) -> dict[str, Any]:
    """Regret against trials for each sampler over ``seeds`` seeds (mean and standard
    error, in percentage points of validation accuracy), the test accuracy of each run's
    best-by-validation cell, and the sampler's per-trial overhead around trial 100 and 1,000
    (one extra run of ``overhead_trials`` trials; 0 skips it). ``variant`` picks the table
    (see :func:`~optunas.benchmarks.load_nb201_table`).

    With ``real_epochs`` the cells are trained for real (the table's setting, that many
    epochs) instead of looked up, and regret is measured against 100% accuracy (it is the
    validation error of the best cell found).

    Example:
        >>> from optunas.benchmarks import bench_samplers
        >>> result = bench_samplers(["random"], seeds=2, trials=10)
        >>> sorted(result["samplers"]["random"]["regret_pp"])
        ['10']
    """
    table = load_nb201_table(variant=variant)
    limits = seed_limits or {}
    jobs = [
        (s, "none", seed, trials, real_epochs, variant)
        for s in samplers
        for seed in range(limits.get(s, seeds))
    ]
    runs = _run_all(jobs, processes)
    optimum = 1.0 if real_epochs else float(table.valid.max())
    result = {
        "optimum_valid": optimum,
        "optimum_test_of_best_valid": table.best()["test"],
        "trials": trials,
        "seeds": seeds,
        "real_epochs": real_epochs,
        "table": variant,
        "samplers": _summaries(runs, optimum, "sampler", checkpoints),
    }
    if overhead_trials:
        for name in samplers:
            result["samplers"][name]["overhead_ms"] = _overhead_ms(
                name, overhead_trials, (100, 1000)
            )
    return result


def bench_pruners(
    pruners: Sequence[str],
    samplers: Sequence[str] = ("random", "tpe"),
    seeds: int = 30,
    trials: int = 200,
    processes: int = 1,
    variant: str = "default",
) -> dict[str, Any]:
    """For each sampler and pruner: total epochs consumed and final regret after ``trials``
    trials, over ``seeds`` seeds, on the table ``variant`` (``"pruning"`` is the one whose
    early epochs speak; see :func:`~optunas.benchmarks.load_nb201_table`).

    Example:
        >>> from optunas.benchmarks import bench_pruners
        >>> result = bench_pruners(["none", "median"], samplers=["random"], seeds=2, trials=20)
        >>> result["random"]["none"]["epochs"][0]
        200.0
    """
    table = load_nb201_table(variant=variant)
    out: dict[str, Any] = {}
    for sampler in samplers:
        jobs = [(sampler, p, seed, trials, None, variant) for p in pruners for seed in range(seeds)]
        runs = _run_all(jobs, processes)
        out[sampler] = _summaries(runs, float(table.valid.max()), "pruner", (trials,))
    return out


def plot_regret(result: dict[str, Any], path: str | Path, title: str = "") -> None:
    """Mean regret against trials with standard-error bands, log-scaled, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, summary in result["samplers"].items():
        mean = np.array(summary["regret_curve_mean"])
        se = np.array(summary["regret_curve_se"])
        x = np.arange(1, len(mean) + 1)
        ax.plot(x, mean, label=f"{name} ({summary['seeds']} seeds)")
        ax.fill_between(x, np.clip(mean - se, 1e-3, None), mean + se, alpha=0.2)
    ax.set_xlabel("trials")
    ax.set_ylabel("regret (validation accuracy, percentage points)")
    ax.set_yscale("log")
    ax.set_title(title or "NB201 x MNIST-1D tabular benchmark")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_json(result: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(result, indent=1))


def format_sampler_table(result: dict[str, Any]) -> str:
    """A Markdown table of the sampler results."""
    checkpoints = list(next(iter(result["samplers"].values()))["regret_pp"])
    head = (
        ["sampler", "seeds"]
        + [f"regret@{c}" for c in checkpoints]
        + ["test acc of best", "ms/trial @100", "ms/trial @1000"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in result["samplers"].items():
        cells = [name, str(s["seeds"])] + [f"{m:.2f} ± {e:.2f}" for m, e in s["regret_pp"].values()]
        cells.append(f"{100 * s['best_test'][0]:.2f} ± {100 * s['best_test'][1]:.2f}")
        overhead = s.get("overhead_ms", {})
        cells += [f"{overhead[k]:.1f}" if k in overhead else "-" for k in ("100", "1000")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_pruner_table(result: dict[str, Any]) -> str:
    """A Markdown table of the pruner results."""
    lines = [
        "| sampler | pruner | seeds | epochs consumed | final regret (pp) |",
        "|---|---|---|---|---|",
    ]
    for sampler, by_pruner in result.items():
        for name, s in by_pruner.items():
            ((m, e),) = s["regret_pp"].values()
            lines.append(
                f"| {sampler} | {name} | {s['seeds']} | {s['epochs'][0]:.0f} ± "
                f"{s['epochs'][1]:.0f} | {m:.2f} ± {e:.2f} |"
            )
    return "\n".join(lines)


__all__ = [
    "bench_pruners",
    "bench_samplers",
    "format_pruner_table",
    "format_sampler_table",
    "plot_regret",
    "write_json",
]
