"""Study charts in optuna-dashboard: what the search chooses, how it improves, the Pareto
front, learning curves of multi-objective studies and ReinforceSampler's entropy.

The charts go through ``optuna_dashboard.save_plotly_graph_object``, which stores
``figure.to_json()`` in the study's system attrs and lets the dashboard's own plotly.js draw
it. Only ``to_json`` is asked of a figure, so the figures here are plotly's JSON written
directly (:class:`Figure`): plotly itself, a large package, is not needed to make them.
"""

from __future__ import annotations

import json
import math
import re
import threading
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from optunas._pareto import nondominated
from optunas.dashboard._draw import op_colour
from optunas.samplers._common import REINFORCE_ENTROPY_ATTR

#: The charts, by graph object id (a fixed id is overwritten, so a refresh replaces a chart
#: instead of adding one) and title.
CHARTS: dict[str, str] = {
    "optunas-choices": "Operations chosen per edge or layer",
    "optunas-choices-over-time": "Operations over the study",
    "optunas-best": "Best so far",
    "optunas-pareto": "Pareto front",
    "optunas-curves": "Learning curves",
    "optunas-entropy": "ReinforceSampler policy entropy",
}
#: Learning curves drawn at most (the Pareto front first, then the latest trials): each adds
#: storage writes at every refresh.
MAX_CURVES = 60
#: Windows the study is cut into for "Operations over the study".
WINDOWS = 20
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class Figure:
    """A plotly figure as plain data: ``data`` (the traces) and ``layout``, both as in
    plotly's JSON, with the ``to_json`` that ``optuna_dashboard.save_plotly_graph_object``
    reads.

    Example:
        >>> from optunas.dashboard import Figure
        >>> Figure([{"type": "bar", "x": ["a"], "y": [1]}], {"title": {"text": "t"}}).to_json()
        '{"data":[{"type":"bar","x":["a"],"y":[1]}],"layout":{"title":{"text":"t"}}}'
    """

    def __init__(self, data: list[dict[str, Any]], layout: dict[str, Any]) -> None:
        self.data = data
        self.layout = layout

    def to_json(self) -> str:
        return json.dumps({"data": self.data, "layout": self.layout}, separators=(",", ":"))


def _layout(chart: str, covered: int, x: str, y: str, **more: Any) -> dict[str, Any]:
    return {
        # Left-aligned: the dashboard's plot toolbar covers the top right.
        "title": {
            "text": f"{CHARTS[chart]}<br><sub>{covered} finished trials</sub>",
            "x": 0.01,
            "xanchor": "left",
        },
        "xaxis": {"title": {"text": x}},
        "yaxis": {"title": {"text": y}},
        "margin": {"t": 70},
        **more,
    }


def _natural(name: str) -> list[Any]:
    """Sort key that puts ``layer_10`` after ``layer_9``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _round(value: float) -> float:
    return round(float(value), 4)


def _op_group(trials: Sequence[FrozenTrial]) -> tuple[list[str], tuple[Any, ...]] | None:
    """The params that choose operations: the largest group of categorical params sharing
    their choices (NB201's six edges, a chain's ``layer_i/op``), and those choices. Ties go
    to named choices over numbers (a chain's kernels can be in as many layers as its ops),
    then to more choices."""
    groups: dict[tuple[Any, ...], set[str]] = {}
    for trial in trials:
        for name, dist in trial.distributions.items():
            if isinstance(dist, CategoricalDistribution) and len(dist.choices) > 2:
                groups.setdefault(tuple(dist.choices), set()).add(name)
    if not groups:
        return None
    choices, names = max(
        groups.items(),
        key=lambda kv: (len(kv[1]), all(isinstance(c, str) for c in kv[0]), len(kv[0])),
    )
    return sorted(names, key=_natural), choices


def _completed(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The completed trials whose values are all finite."""
    return [
        t for t in trials if t.state == TrialState.COMPLETE and all(map(math.isfinite, t.values))
    ]


def choices_figure(
    trials: Sequence[FrozenTrial], names: Sequence[str], choices: Sequence[Any]
) -> Figure:
    """A heatmap: for each param (row) the share of trials that chose each operation."""
    rows, text = [], []
    for name in names:
        counts = Counter(t.params[name] for t in trials if name in t.params)
        total = sum(counts.values()) or 1
        rows.append([_round(counts[c] / total) for c in choices])
        text.append([f"{counts[c]} of {total}" for c in choices])
    labels = [str(c) for c in choices]
    return Figure(
        [
            {
                "type": "heatmap",
                "z": rows,
                "x": labels,
                "y": list(names),
                "text": text,
                "hovertemplate": "%{y}: %{x}<br>%{text} trials<extra></extra>",
                "texttemplate": "%{z:.0%}",
                "colorscale": [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]],
                "zmin": 0,
                "zmax": 1,
                "colorbar": {"title": {"text": "share"}},
            }
        ],
        _layout(
            "optunas-choices",
            len(trials),
            "operation",
            "",
            yaxis={"automargin": True, "autorange": "reversed"},
        ),
    )


def choices_over_time_figure(
    trials: Sequence[FrozenTrial], names: Sequence[str], choices: Sequence[Any]
) -> Figure:
    """Each operation's share of the choices (all edges or layers pooled) in consecutive
    windows of trials: how the sampler's preferences move."""
    ordered = sorted(trials, key=lambda t: t.number)
    size = max(1, math.ceil(len(ordered) / WINDOWS))
    windows = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    shares: dict[Any, list[float]] = {c: [] for c in choices}
    for window in windows:
        counts = Counter(t.params[n] for t in window for n in names if n in t.params)
        total = sum(counts.values()) or 1
        for choice in choices:
            shares[choice].append(_round(counts[choice] / total))
    x = [window[-1].number for window in windows]
    return Figure(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "stackgroup": "one",
                "name": str(choice),
                "x": x,
                "y": shares[choice],
                "line": {"color": op_colour(str(choice)), "width": 0.5},
            }
            for choice in choices
        ],
        _layout(
            "optunas-choices-over-time",
            len(trials),
            f"trial (windows of {size})",
            "share of choices",
            yaxis={"title": {"text": "share of choices"}, "range": [0, 1]},
        ),
    )


def best_figure(trials: Sequence[FrozenTrial], direction: StudyDirection, name: str) -> Figure:
    """Every completed trial's (first) value and the best so far."""
    done = sorted(_completed(trials), key=lambda t: t.number)
    pick = max if direction == StudyDirection.MAXIMIZE else min
    best: list[float] = []
    for trial in done:
        best.append(trial.values[0] if not best else pick(best[-1], trial.values[0]))
    x = [t.number for t in done]
    return Figure(
        [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "trial",
                "x": x,
                "y": [_round(t.values[0]) for t in done],
                "marker": {"color": "#9aa5b1", "size": 5},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "best so far",
                "x": x,
                "y": [_round(v) for v in best],
                "line": {"color": "#c44e52", "shape": "hv"},
            },
        ],
        _layout("optunas-best", len(trials), "trial", name),
    )


def pareto_figure(
    trials: Sequence[FrozenTrial], front: Sequence[FrozenTrial], names: Sequence[str]
) -> Figure:
    """Two objectives: every completed trial (x the second, y the first) and the front."""
    done = _completed(trials)
    front = sorted(front, key=lambda t: t.values[1])
    xs = [t.values[1] for t in done]
    # Sizes span orders of magnitude: a log axis keeps the small networks apart.
    log = bool(xs) and min(xs) > 0 and max(xs) / min(xs) > 20

    def points(chosen: Sequence[FrozenTrial], **style: Any) -> dict[str, Any]:
        return {
            "type": "scatter",
            "x": [_round(t.values[1]) for t in chosen],
            "y": [_round(t.values[0]) for t in chosen],
            "text": [f"trial {t.number}" for t in chosen],
            **style,
        }

    return Figure(
        [
            points(done, mode="markers", name="trial", marker={"color": "#9aa5b1", "size": 5}),
            points(
                front,
                mode="lines+markers",
                name="Pareto front",
                marker={"color": "#c44e52", "size": 8},
                line={"shape": "hv", "color": "#c44e52"},
            ),
        ],
        _layout(
            "optunas-pareto",
            len(trials),
            names[1],
            names[0],
            xaxis={"title": {"text": names[1]}, "type": "log" if log else "linear"},
        ),
    )


def curves_figure(
    trials: Sequence[FrozenTrial], front: Sequence[FrozenTrial], covered: int
) -> Figure | None:
    """The learning curves trials recorded in the user attr ``accuracy_curve`` (what
    optunas's objectives record where Optuna takes no intermediate values): the front's,
    then the latest, :data:`MAX_CURVES` at most."""
    with_curve = [t for t in trials if isinstance(t.user_attrs.get("accuracy_curve"), list)]
    if not with_curve:
        return None
    on_front = {t.number for t in front}
    chosen = [t for t in with_curve if t.number in on_front][:MAX_CURVES]
    rest = [t for t in sorted(with_curve, key=lambda t: -t.number) if t.number not in on_front]
    chosen += rest[: MAX_CURVES - len(chosen)]
    traces = []
    for trial in sorted(chosen, key=lambda t: t.number):
        curve = trial.user_attrs["accuracy_curve"]
        best = trial.number in on_front
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"trial {trial.number}" + (" (front)" if best else ""),
                "x": list(range(1, len(curve) + 1)),
                "y": [_round(v) for v in curve],
                "line": {"width": 2.5 if best else 1},
                "opacity": 1.0 if best else 0.5,
            }
        )
    return Figure(traces, _layout("optunas-curves", covered, "epoch", "validation accuracy"))


def entropy_figure(trials: Sequence[FrozenTrial]) -> Figure | None:
    """ReinforceSampler's policy entropy per trial, as a share of a uniform policy's (1: the
    controller still chooses at random; towards 0: it has made up its mind)."""
    points = [
        (t.number, t.system_attrs[REINFORCE_ENTROPY_ATTR])
        for t in trials
        if isinstance(t.system_attrs.get(REINFORCE_ENTROPY_ATTR), dict)
    ]
    points = [(n, e) for n, e in points if e.get("uniform")]
    if not points:
        return None
    points.sort(key=lambda p: p[0])
    return Figure(
        [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "entropy",
                "x": [n for n, _ in points],
                "y": [_round(e["nats"] / e["uniform"]) for _, e in points],
                "text": [f"{e['nats']} of {e['uniform']} nats" for _, e in points],
                "marker": {"size": 4},
            }
        ],
        _layout(
            "optunas-entropy",
            len(trials),
            "trial",
            "entropy / uniform policy's",
            yaxis={"title": {"text": "entropy / uniform policy's"}, "range": [0, 1.05]},
        ),
    )


def study_figures(study: optuna.Study) -> dict[str, Figure]:
    """The charts that apply to ``study`` now, by graph object id (see :data:`CHARTS`).

    Example:
        >>> import optuna
        >>> from optunas.dashboard import study_figures
        >>> study = optuna.create_study()
        >>> study.optimize(lambda t: t.suggest_categorical("op", ["a", "b", "c"]) == "a",
        ...                n_trials=4)
        >>> sorted(study_figures(study))
        ['optunas-best', 'optunas-choices', 'optunas-choices-over-time']
    """
    trials = study.get_trials(deepcopy=False, states=_FINISHED)
    names = study.metric_names or [f"Objective {i}" for i in range(len(study.directions))]
    figures: dict[str, Figure] = {}
    group = _op_group(trials)
    if group is not None:
        figures["optunas-choices"] = choices_figure(trials, *group)
        figures["optunas-choices-over-time"] = choices_over_time_figure(trials, *group)
    multi = len(study.directions) > 1
    front = nondominated(_completed(trials), study.directions) if multi else []
    if _completed(trials):
        figures["optunas-best"] = best_figure(trials, study.directions[0], names[0])
        if len(study.directions) == 2:
            figures["optunas-pareto"] = pareto_figure(trials, front, names)
    for chart, figure in (
        ("optunas-curves", curves_figure(trials, front, len(trials))),
        ("optunas-entropy", entropy_figure(trials)),
    ):
        if figure is not None:
            figures[chart] = figure
    return figures


def save_study_charts(study: optuna.Study) -> list[str]:
    """Draw :func:`study_figures` into the study for optuna-dashboard (each replaces its
    previous version). Returns the graph object ids written.

    Example:
        >>> import optuna
        >>> from optunas.dashboard import save_study_charts
        >>> study = optuna.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> save_study_charts(study)
        ['optunas-best']
    """
    import optuna_dashboard

    figures = study_figures(study)
    for chart, figure in figures.items():
        optuna_dashboard.save_plotly_graph_object(study, figure, graph_object_id=chart)
    return list(figures)


class StudyCharts:
    """A callback for ``study.optimize`` that redraws the study's charts in optuna-dashboard
    every ``every`` finished trials (not after each one: a refresh reads every trial and
    writes each chart, see BENCHMARKS.md for its cost).

    The charts (study page of the dashboard, each replaced at every refresh): how often each
    operation is chosen per edge or layer and how that moves over the study, the best value
    so far, the Pareto front of a two-objective study, the learning curves a multi-objective
    study records in the user attr ``accuracy_curve``, and
    :class:`~optunas.samplers.ReinforceSampler`'s policy entropy when it ran the trials.

    The count is the study's, across all its workers: a worker redraws when the number of
    finished trials has passed a multiple of ``every`` since it last did (so with several
    workers a chart may be drawn more than once per ``every`` trials, by each of them).
    :meth:`refresh` draws at once (the ``optunas`` command calls it when a run ends).
    A failed refresh is logged as a warning and does not stop the study.

    Args:
        every: Finished trials between refreshes.

    Example:
        >>> import optuna
        >>> from optunas.dashboard import StudyCharts
        >>> study = optuna.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10,
        ...                callbacks=[StudyCharts(every=5)])
        >>> from optunas._compat import get_study_system_attrs
        >>> attrs = get_study_system_attrs(study)
        >>> "dashboard:plot_data:optunas-best:0" in attrs
        True
    """

    def __init__(self, every: int = 10) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.every = every
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        with self._lock:
            finished = len(study.get_trials(deepcopy=False, states=_FINISHED))
            if finished // self.every > self._last // self.every:
                self._refresh(study, finished)

    def refresh(self, study: optuna.Study) -> None:
        """Draw the charts now."""
        with self._lock:
            self._refresh(study, len(study.get_trials(deepcopy=False, states=_FINISHED)))

    def _refresh(self, study: optuna.Study, finished: int) -> None:
        self._last = finished
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                save_study_charts(study)
        except Exception as exc:  # a chart must not stop a search
            optuna.logging.get_logger(__name__).warning(f"study charts not refreshed: {exc!r}")
