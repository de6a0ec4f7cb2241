"""How well SynFlow and the parameter count rank NB201 cells, on NAS-Bench-201's own skeleton.

    python studies/proxy_nb201.py [--cells 1000] [--seed 0]   # resumable
    python studies/proxy_nb201.py --summary                    # the figures of what is there
    python studies/proxy_nb201.py --skeleton c8-n1-s28         # the same cells, a small network

The check of ``optunas.evaluation.synflow`` against the published figure: each cell is built
as NAS-Bench-201 trains it (16 channels, 5 cells per stage, 3 input channels, 10 classes) and
scored on one 32x32 input of ones; its parameter count comes from the same network. Both are
compared with the seed-averaged 200-epoch validation accuracy of the NB201 CIFAR-10 table
(``load_nasbench201("nb201-cifar10")``) by Spearman's rho and Kendall's tau (tau-b), each with
a bootstrap standard error over the cells (``--boot`` resamples) and the paired difference
between the two scores.

The cells are the first ``--cells`` of a permutation of all 15,625 rows drawn with ``--seed``,
so a larger ``--cells`` extends a smaller run; each cell's weights are drawn with
``torch.manual_seed(row)``, so a cell's score does not depend on the run it was met in. The
per-cell rows and the figures go to studies/results/proxy_nb201.json, rewritten every
``--every`` cells (a killed run resumes where it stopped). ``--reinit`` cells of the sample are
scored a second time with other weights (``torch.manual_seed(row + 15625)``): the rank
correlation between the two draws is how much of the score belongs to the cell rather than to
its initialisation.

``--skeleton c8-n1-s28`` scores the same cells in a network of the size of one Fashion-MNIST
setting that studies/fmnist_setting.py compares (8 channels, one cell per stage, one 28x28
input channel) and writes
studies/results/proxy_nb201_c8-n1-s28.json: the same figures against the CIFAR-10 table, and
the rank correlation with the scores on NAS-Bench-201's skeleton where both exist.

On NAS-Bench-201's skeleton a cell costs about 0.13 s of one core (build and score) on the
2-core VM: 1,000 cells about two minutes, all 15,625 about 35 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats

from optunas.benchmarks import NUM_ARCHS, arch_ops, load_nasbench201
from optunas.evaluation import synflow
from optunas.nn import NB201Network, count_params

RESULTS = Path(__file__).resolve().parent / "results"
#: The networks a cell is scored in, by ``--skeleton``: NAS-Bench-201's own for CIFAR-10, and
#: a small one of the size of one of studies/fmnist_setting.py's Fashion-MNIST settings.
SKELETONS: dict[str, tuple[dict[str, Any], tuple[int, ...]]] = {
    "nb201": (
        dict(in_channels=3, num_classes=10, dims=2, channels=16, cells_per_stage=5),
        (3, 32, 32),
    ),
    "c8-n1-s28": (
        dict(in_channels=1, num_classes=10, dims=2, channels=8, cells_per_stage=1),
        (1, 28, 28),
    ),
}
#: The run of the default sample size, reported beside a larger one.
FIRST = 1000


def results_path(skeleton: str) -> Path:
    suffix = "" if skeleton == "nb201" else f"_{skeleton}"
    return RESULTS / f"proxy_nb201{suffix}.json"


def score(row: int, weight_seed: int, skeleton: str) -> tuple[float, int, float]:
    """The cell's SynFlow score, its parameter count and the seconds both took."""
    start = time.perf_counter()
    kwargs, input_shape = SKELETONS[skeleton]
    torch.manual_seed(weight_seed)
    net = NB201Network(arch_ops(row), **kwargs)
    value = synflow(net, input_shape)
    return value, count_params(net), time.perf_counter() - start


def correlations(
    truth: np.ndarray, scores: dict[str, np.ndarray], boot: int, seed: int
) -> dict[str, Any]:
    """Spearman and Kendall of each score with ``truth``, with bootstrap standard errors and
    95% percentile intervals, and the paired difference of the first two scores."""
    names = list(scores)
    rng = np.random.default_rng(seed)
    n = len(truth)

    def both(idx: np.ndarray) -> dict[str, tuple[float, float]]:
        return {
            name: (
                float(stats.spearmanr(scores[name][idx], truth[idx]).statistic),
                float(stats.kendalltau(scores[name][idx], truth[idx]).statistic),
            )
            for name in names
        }

    point = both(np.arange(n))
    draws = [both(rng.integers(0, n, size=n)) for _ in range(boot)]
    out: dict[str, Any] = {"n": n, "bootstrap": boot}
    for name in names:
        for k, measure in enumerate(("spearman", "kendall")):
            values = np.array([d[name][k] for d in draws])
            out[f"{name}_{measure}"] = _figure(point[name][k], values)
    if len(names) >= 2:
        a, b = names[:2]
        for k, measure in enumerate(("spearman", "kendall")):
            values = np.array([d[a][k] - d[b][k] for d in draws])
            out[f"{a}_minus_{b}_{measure}"] = _figure(point[a][k] - point[b][k], values)
    return out


def _figure(value: float, draws: np.ndarray) -> dict[str, float]:
    low, high = np.percentile(draws, [2.5, 97.5])
    return {
        "value": round(value, 4),
        "se": round(float(draws.std(ddof=1)), 4),
        "ci95": [round(float(low), 4), round(float(high), 4)],
    }


def _load(path: Path) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text())
    return {}


def _save(result: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, path)


def summarise(result: dict[str, Any], boot: int) -> None:
    table = load_nasbench201("nb201-cifar10")
    cells = result["cells"]
    rows = np.array(cells["row"])
    truth = table.valid[rows]
    scores = {"synflow": np.array(cells["synflow"]), "params": np.array(cells["params"])}
    result["figures"] = correlations(truth, scores, boot, result["seed"])
    if len(rows) > FIRST:
        result[f"figures_first_{FIRST}"] = correlations(
            truth[:FIRST], {k: v[:FIRST] for k, v in scores.items()}, boot, result["seed"]
        )
    # Cells whose output does not depend on the input score 0; the rest on their own.
    live = scores["synflow"] > 0
    result["figures_nonzero_synflow"] = correlations(
        truth[live], {k: v[live] for k, v in scores.items()}, boot, result["seed"]
    )
    result["seconds_per_cell"] = round(float(np.mean(cells["seconds"])), 4)
    reinit = result.get("reinit")
    if reinit and reinit["synflow"]:
        n = len(reinit["synflow"])
        first = scores["synflow"][:n]
        second = np.array(reinit["synflow"])
        reinit["n"] = n
        reinit["spearman_between_draws"] = round(float(stats.spearmanr(first, second)[0]), 4)
        reinit["kendall_between_draws"] = round(float(stats.kendalltau(first, second)[0]), 4)
        reinit["spearman_with_valid"] = [
            round(float(stats.spearmanr(s, truth[:n])[0]), 4) for s in (first, second)
        ]
    if result["skeleton_name"] != "nb201":
        # How the small skeleton's scores rank the cells against NAS-Bench-201's own scores.
        big = _load(results_path("nb201")).get("cells")
        if big:
            theirs = dict(zip(big["row"], big["synflow"]))
            common = [i for i, row in enumerate(rows) if int(row) in theirs]
            ours = scores["synflow"][common]
            other = np.array([theirs[int(rows[i])] for i in common])
            result["versus_nb201_skeleton"] = {
                "n": len(common),
                "spearman": round(float(stats.spearmanr(ours, other)[0]), 4),
                "kendall": round(float(stats.kendalltau(ours, other)[0]), 4),
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reinit", type=int, default=200)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--skeleton", choices=list(SKELETONS), default="nb201")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)

    path = results_path(args.skeleton)
    result = _load(path)
    if result and result["seed"] != args.seed:
        raise SystemExit(f"{path} holds seed {result['seed']}; move it away for another")
    if result:
        result.setdefault("skeleton_name", args.skeleton)
    if not result:
        kwargs, input_shape = SKELETONS[args.skeleton]
        result = {
            "what": "SynFlow and parameter count vs NB201 CIFAR-10 200-epoch validation accuracy",
            "skeleton_name": args.skeleton,
            "skeleton": kwargs,
            "input_shape": list(input_shape),
            "seed": args.seed,
            "cells": {"row": [], "synflow": [], "params": [], "seconds": []},
            "reinit": {"synflow": []},
        }
    order = np.random.default_rng(args.seed).permutation(NUM_ARCHS)
    cells = result["cells"]
    if not args.summary:
        for row in order[len(cells["row"]) : args.cells]:
            value, params, seconds = score(int(row), int(row), args.skeleton)
            cells["row"].append(int(row))
            cells["synflow"].append(value)
            cells["params"].append(params)
            cells["seconds"].append(round(seconds, 4))
            if len(cells["row"]) % args.every == 0:
                _save(result, path)
                print(f"{len(cells['row'])} cells, {np.mean(cells['seconds']):.3f} s/cell")
        reinit = result["reinit"]["synflow"]
        for row in order[len(reinit) : min(args.reinit, len(cells["row"]))]:
            reinit.append(score(int(row), int(row) + NUM_ARCHS, args.skeleton)[0])
    summarise(result, args.boot)
    _save(result, path)
    print(json.dumps({k: v for k, v in result.items() if k != "cells"}, indent=1))


if __name__ == "__main__":
    main()
