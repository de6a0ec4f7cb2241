"""Draw the images of hub/package's READMEs (small PNGs: the registry keeps a package small).

    python hub/figures.py

The samplers' figure is the regret curve on NAS-Bench-201 CIFAR-100 of BENCHMARKS.md's
"On NAS-Bench-201" (the regret runs in studies/results/nb201/); the predictor's plots its table "The
defaults on every curve set"; the learning-curve pruner's is LearningCurvePruner's own
prediction on an example curve. Unlike the code, the images are not checked against this
script: PNG bytes change with matplotlib's version.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import matplotlib.ticker


matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from optunas.pruners._curves import predict
from optunas.pruners._curves import prob_at_least


HUB = Path(__file__).resolve().parent
ROOT = HUB.parent
SIZE = (6.0, 3.4)  # inches, at 80 dpi: 480 x 272 pixels
DPI = 80
# BENCHMARKS.md, "The defaults on every curve set": (speed-up in epochs, regret lost in pp)
# per curve set under random search, for PredictorPruner (0.004), LearningCurvePruner (0.01)
# and HyperbandPruner.
PRUNER_TABLE = {
    "predictor (0.004)": {
        "default table": (1.52, 0.08),
        "table for pruners": (1.74, 0.07),
        "50-epoch curves": (1.84, 0.02),
    },
    "learning curve (0.01)": {
        "default table": (1.14, 0.00),
        "table for pruners": (1.12, 0.00),
        "50-epoch curves": (1.02, 0.00),
    },
    "Hyperband": {
        "default table": (1.87, 1.16),
        "table for pruners": (1.86, 0.32),
        "50-epoch curves": (4.84, 0.59),
    },
}


def _save(fig: plt.Figure, package: str, name: str) -> None:
    path = HUB / "package" / package / "images" / name
    path.parent.mkdir(exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    print(path.relative_to(ROOT), path.stat().st_size, "bytes")


#: The table of the samplers' figure, its best seed-averaged 200-epoch validation accuracy (%),
#: and what marks each sampler's current preset in a run's recorded settings.
NB201_TABLE, NB201_OPTIMUM = "nb201-cifar100", 73.4933
PRESETS = {"evolution": ("tournament_size", 10), "reinforce": ("baseline_decay", 0.9)}


def _nb201_regrets(sampler: str) -> np.ndarray:
    """Seeds x trials regret (pp) of ``sampler``'s preset in the regret runs of
    studies/nb201_samplers.sh on :data:`NB201_TABLE`, first 100 trials, one run per seed."""
    runs: dict[int, list[float]] = {}
    for path in sorted((ROOT / "studies/results/nb201").rglob("samplers-runs.jsonl")):
        for line in path.read_text().splitlines():
            run = json.loads(line)
            if run["budget_seconds"] or run["table"] != NB201_TABLE or run["sampler"] != sampler:
                continue
            key, value = PRESETS.get(sampler, ("", None))
            if key and run.get("sampler_settings", {}).get(key) != value:
                continue
            runs[run["seed"]] = run["best_so_far"][:100]
    return np.maximum(0.0, NB201_OPTIMUM - 100 * np.array(list(runs.values())))


def sampler_regret(package: str, key: str, label: str) -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    for name in ("random", "tpe", key):
        regrets = _nb201_regrets(name)
        mean, se = regrets.mean(axis=0), regrets.std(axis=0, ddof=1) / np.sqrt(len(regrets))
        x = np.arange(1, len(mean) + 1)
        ax.plot(x, mean, label=label if name == key else name.upper() if name == "tpe" else name)
        ax.fill_between(x, mean - se, mean + se, alpha=0.2)
    ax.set(xlabel="trials", ylabel="regret (pp)", yscale="log", xlim=(10, 100), ylim=(0.2, 8))
    ax.set_yticks([0.2, 0.5, 1, 2, 5])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(f"NAS-Bench-201 CIFAR-100, {len(regrets)} seeds", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, package, "regret.png")


def _quantile(
    means: np.ndarray, sds: np.ndarray, weights: np.ndarray, dof: int, q: float
) -> float:
    """The value the prediction exceeds with probability 1 - q, by bisection."""
    lo, hi = float(np.min(means - 50 * sds)), float(np.max(means + 50 * sds))
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if prob_at_least(means, sds, weights, mid, dof) > 1 - q else (lo, mid)
    return (lo + hi) / 2


def learning_curve_prediction() -> None:
    rng = np.random.default_rng(0)
    steps = np.arange(20)
    curve = 0.78 * (1 - 0.75 ** (steps + 1)) + rng.normal(0, 0.006, len(steps))
    target = 0.86
    fig, ax = plt.subplots(figsize=SIZE)
    ax.plot(steps, curve, color="0.7", marker=".", label="the curve, had it run on")
    ax.axhline(target, color="k", lw=1, ls="--", label="best final value so far")
    for k, colour in ((5, "C1"), (10, "C2"), (16, "C0")):
        means, sds, weights, dof = predict(steps[:k], curve[:k], 19)
        low, mid, high = (_quantile(means, sds, weights, dof, q) for q in (0.01, 0.5, 0.99))
        p = prob_at_least(means, sds, weights, target, dof)
        ax.plot(steps[:k], curve[:k], "o", color=colour, ms=4)
        ax.errorbar(19 + (k - 10) * 0.05, mid, [[mid - low], [high - mid]], fmt="s", color=colour,
                    capsize=3, label=f"after {k} steps: P(beat best) = {p:.3f}")  # fmt: skip
    ax.set(xlabel="step", ylabel="accuracy", ylim=(0.3, 1.0))
    ax.set_title("The final value predicted from the first steps (1% to 99%)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, "pruners/learning_curve", "prediction.png")


def pruner_tradeoff() -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    markers = {"default table": "o", "table for pruners": "s", "50-epoch curves": "^"}
    for i, (pruner, rows) in enumerate(PRUNER_TABLE.items()):
        for curve_set, (speedup, lost) in rows.items():
            ax.plot(speedup, lost, markers[curve_set], color=f"C{i}", ms=7)
        ax.plot([], [], "o", color=f"C{i}", label=pruner)
    for curve_set, marker in markers.items():
        ax.plot([], [], marker, color="0.5", label=curve_set)
    ax.set(xlabel="epochs saved (speed-up over no pruning)", ylabel="regret lost (pp)")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%gx"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([1, 1.5, 2, 3, 4, 5])
    ax.set_title("200-trial studies, random search, 10 to 30 seeds", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    _save(fig, "pruners/performance_predictor", "tradeoff.png")


if __name__ == "__main__":
    sampler_regret("samplers/regularized_evolution", "evolution", "regularized evolution")
    sampler_regret("samplers/reinforce", "reinforce", "REINFORCE")
    learning_curve_prediction()
    pruner_tradeoff()
