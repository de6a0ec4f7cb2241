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

from optunas.benchmarks import _nasbench201 as nasbench201
from optunas.benchmarks._nb201 import PRUNING_SETTING, SETTING, BenchmarkSetting
from optunas.benchmarks._objective import TabularObjective
from optunas.benchmarks._table import NB201Table, load_nb201_table
from optunas.pruners import get_pruner
from optunas.samplers import get_sampler

CHECKPOINTS = (10, 25, 50, 100, 200, 300)


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
    budget_seconds: float | None = None,
) -> dict[str, Any]:
    """One seeded study on the table (or, with ``real_epochs``, with real training); what
    the summaries need, as plain lists."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if variant in nasbench201.TABLES:
        return _nasbench201_run(sampler, seed, trials, variant, budget_seconds)
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
        value = trial.value  # a float for a complete trial of one objective
        complete = trial.state == optuna.trial.TrialState.COMPLETE
        if complete and value is not None and value > best_value:
            best_value = value
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


def _nasbench201_run(
    sampler: str, seed: int, trials: int, table: str, budget_seconds: float | None
) -> dict[str, Any]:
    """One seeded search on a NAS-Bench-201 table.

    Without a budget: ``trials`` trials rewarded with the 200-epoch validation accuracy.
    With one, the paper's protocol (its reference code's RANDOM.py, R_EA.py, reinforce.py):
    each query is rewarded with the 12-epoch validation accuracy and costs its simulated
    training time; the query that would overrun the budget is not counted, and the search
    returns the cell of best reward. ``best_so_far`` is always the seed-averaged 200-epoch
    validation accuracy of the cell the search would return after each counted query.
    """
    objective = nasbench201.NASBench201Objective(
        table, reward="valid" if budget_seconds is None else "valid12"
    )
    instance = get_sampler(sampler, seed)
    study = optuna.create_study(
        direction="maximize", sampler=instance, pruner=optuna.pruners.NopPruner()
    )
    durations: list[float] = []
    best_so_far: list[float] = []
    best_reward, best_row, spent = -math.inf, -1, 0.0
    for _ in range(trials):
        started = time.perf_counter()
        study.optimize(objective, n_trials=1)
        durations.append(time.perf_counter() - started)
        trial = study.trials[-1]
        if budget_seconds is not None:
            cost = trial.user_attrs["simulated_seconds"]
            if spent + cost > budget_seconds:
                break
            spent += cost
        value = trial.value  # a float for a complete trial of one objective
        complete = trial.state == optuna.trial.TrialState.COMPLETE
        if complete and value is not None and value > best_reward:
            best_reward, best_row = value, objective.row(trial)
        best_so_far.append(float(objective.table.valid[best_row]))
    return {
        "sampler": sampler,
        # The preset's settings, so that runs stay attributable when a preset changes.
        "sampler_settings": {
            name.lstrip("_"): value
            for name, value in vars(instance).items()
            if isinstance(value, (bool, int, float, str))
        },
        "pruner": "none",
        "seed": seed,
        "table": table,
        "budget_seconds": budget_seconds,
        "best_so_far": best_so_far,
        "durations": durations,
        "queries": len(best_so_far),
        "simulated_seconds": spent,
        "found_valid": best_so_far[-1] if best_so_far else math.nan,
        "found_row": best_row,
        "epochs": 0,
        "best_test": math.nan,
    }


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return statistics.fmean(values), se


def _star_run(job: tuple[Any, ...]) -> dict[str, Any]:
    return _study_run(*job)


def _run_all(
    jobs: list[tuple[Any, ...]], processes: int, log: str | Path | None = None
) -> list[dict[str, Any]]:
    """Run the jobs; with ``log``, append each finished run to it as a JSON line at once, so
    that a long benchmark stopped early keeps what it measured."""
    runs: list[dict[str, Any]] = []

    def keep(run: dict[str, Any]) -> None:
        runs.append(run)
        if log is not None:
            with open(log, "a") as file:
                file.write(json.dumps(run) + "\n")

    if processes <= 1:
        for job in jobs:
            keep(_study_run(*job))
        return runs
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for run in pool.imap(_star_run, jobs):
            keep(run)
    return runs


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
    sampler: str, trials: int, around: Sequence[int], variant: str = "default"
) -> dict[str, float]:
    durations = _study_run(sampler, "none", 0, trials, variant=variant)["durations"]
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
    budget_seconds: float | None = None,
    log: str | Path | None = None,
    first_seed: int = 0,
) -> dict[str, Any]:
    """Regret against trials for each sampler over ``seeds`` seeds (mean and standard
    error, in percentage points of validation accuracy), the test accuracy of each run's
    best-by-validation cell, and the sampler's per-trial overhead around trial 100 and 1,000
    (one extra run of ``overhead_trials`` trials; 0 skips it). ``variant`` picks the table
    (see :func:`~optunas.benchmarks.load_nb201_table`, or one of NAS-Bench-201's own,
    ``"nb201-cifar10"``, ``"nb201-cifar100"``, ``"nb201-imagenet16"``, which need
    ``pip install 'optunas[nb201]'`` and have no test accuracies).

    With ``real_epochs`` the cells are trained for real (the table's setting, that many
    epochs) instead of looked up, and regret is measured against 100% accuracy (it is the
    validation error of the best cell found).

    With ``budget_seconds`` (NAS-Bench-201 tables only) each run follows the NB201 paper's
    protocol instead: 12-epoch validation accuracy as the reward, the searches stopped at that
    much simulated training time (the paper's is :data:`PAPER_BUDGET_SECONDS`), and the
    figure is the 200-epoch validation accuracy of the cell each search returns; ``trials``
    caps the queries. ``log`` names a file that gets each run as a JSON line as it finishes;
    seeds run from ``first_seed``.

    Example:
        >>> from optunas.benchmarks import bench_samplers
        >>> result = bench_samplers(["random"], seeds=2, trials=10)
        >>> sorted(result["samplers"]["random"]["regret_pp"])
        ['10']
    """
    field = variant in nasbench201.TABLES
    if budget_seconds is not None and not field:
        raise ValueError("a time budget needs one of NAS-Bench-201's tables")
    if field and real_epochs:
        raise ValueError("NAS-Bench-201's tables are looked up, not trained")
    table: nasbench201.NASBench201Table | NB201Table
    if field:
        table = nasbench201.load_nasbench201(variant)
        optimum, optimum_test = float(table.valid.max()), None
    else:
        table = load_nb201_table(variant=variant)
        optimum = 1.0 if real_epochs else float(table.valid.max())
        optimum_test = table.best()["test"]
    limits = seed_limits or {}
    jobs = [
        (s, "none", seed, trials, real_epochs, variant, budget_seconds)
        for s in samplers
        for seed in range(first_seed, first_seed + limits.get(s, seeds))
    ]
    runs = _run_all(jobs, processes, log)
    result: dict[str, Any] = {
        "optimum_valid": optimum,
        "optimum_test_of_best_valid": optimum_test,
        "trials": trials,
        "seeds": seeds,
        "first_seed": first_seed,
        "real_epochs": real_epochs,
        "table": variant,
        "budget_seconds": budget_seconds,
        "samplers": (
            _budget_summaries(runs, optimum)
            if budget_seconds is not None
            else _summaries(runs, optimum, "sampler", checkpoints)
        ),
    }
    if overhead_trials:
        for name in samplers:
            result["samplers"][name]["overhead_ms"] = _overhead_ms(
                name, overhead_trials, (100, 1000), variant
            )
    return result


def _budget_summaries(runs: list[dict[str, Any]], optimum: float) -> dict[str, Any]:
    """Per sampler: the returned cell's 200-epoch validation accuracy (percent: mean, its
    standard error, and the standard deviation over runs, which the paper reports), the
    regret it leaves, and the queries the budget allowed."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(r["sampler"] for r in runs):
        found = [100 * r["found_valid"] for r in runs if r["sampler"] == name]
        queries = [r["queries"] for r in runs if r["sampler"] == name]
        out[name] = {
            "seeds": len(found),
            "found_valid_pct": _mean_se(found),
            "found_valid_std": statistics.stdev(found) if len(found) > 1 else 0.0,
            "regret_pp": _mean_se([100 * optimum - f for f in found]),
            "queries": _mean_se(queries),
            "median_trial_ms": 1000
            * statistics.median(d for r in runs if r["sampler"] == name for d in r["durations"]),
        }
    return out


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
    table = result.get("table", "default")
    default_title = (
        f"NAS-Bench-201 ({table})"
        if table in nasbench201.TABLES
        else "NB201 x MNIST-1D tabular benchmark"
    )
    ax.set_title(title or default_title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_json(result: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(result, indent=1))


def format_sampler_table(result: dict[str, Any]) -> str:
    """A Markdown table of the sampler results."""
    if result.get("budget_seconds") is not None:
        return _format_budget_table(result)
    checkpoints = list(next(iter(result["samplers"].values()))["regret_pp"])
    head = (
        ["sampler", "seeds"]
        + [f"regret@{c}" for c in checkpoints]
        + ["test acc of best", "ms/trial @100", "ms/trial @1000"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in result["samplers"].items():
        cells = [name, str(s["seeds"])] + [f"{m:.2f} ± {e:.2f}" for m, e in s["regret_pp"].values()]
        test, test_se = s["best_test"]
        cells.append("-" if math.isnan(test) else f"{100 * test:.2f} ± {100 * test_se:.2f}")
        overhead = s.get("overhead_ms", {})
        cells += [f"{overhead[k]:.1f}" if k in overhead else "-" for k in ("100", "1000")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _format_budget_table(result: dict[str, Any]) -> str:
    lines = [
        "| sampler | runs | queries | 200-epoch valid acc of the returned cell (± SE) "
        "| std | regret (pp) | ms/trial |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in result["samplers"].items():
        (found, se), (regret, regret_se) = s["found_valid_pct"], s["regret_pp"]
        lines.append(
            f"| {name} | {s['seeds']} | {s['queries'][0]:.1f} | {found:.2f} ± {se:.2f} "
            f"| {s['found_valid_std']:.2f} | {regret:.2f} ± {regret_se:.2f} "
            f"| {s['median_trial_ms']:.1f} |"
        )
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
