"""Study charts in optuna-dashboard: drawn every N finished trials, replaced rather than piled
up, each showing what the study holds; objective names and the renamed size attr."""

from __future__ import annotations

import json
import math

import optuna
import pytest
from optuna_dashboard._custom_plot_data import get_plotly_graph_objects

from optunas import TrainObjective
from optunas.dashboard import CHARTS, StudyCharts, study_figures
from optunas.evaluation import n_parameters, name_metrics
from optunas.samplers import ReinforceSampler
from optunas.samplers._common import REINFORCE_ENTROPY_ATTR
from optunas.spaces import NB201, Chain

SPACE = NB201()


def _convs(trial: optuna.trial.Trial) -> float:
    """A cell's share of convolutions: a score that needs no training."""
    return sum(op.startswith("nor_conv") for op in SPACE.suggest(trial).ops) / 6


def _charts(study: optuna.Study) -> dict[str, dict]:
    """The figures the dashboard would draw, by graph object id."""
    attrs = study._storage.get_study_system_attrs(study._study_id)
    return {k: json.loads(v) for k, v in get_plotly_graph_objects(attrs).items()}


def _covered(figure: dict) -> int:
    """The finished trials a figure was drawn from (its title says)."""
    return int(figure["layout"]["title"]["text"].split("<sub>")[1].split()[0])


def test_charts_are_redrawn_every_n_trials_and_replaced(tmp_path) -> None:
    study = optuna.create_study(
        storage=f"sqlite:///{tmp_path / 'c.db'}",
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    charts = StudyCharts(every=3)
    study.optimize(_convs, n_trials=7, callbacks=[charts])
    drawn = _charts(study)
    # Drawn after trials 3 and 6, not after 7; each chart once, whatever the redraws.
    assert set(drawn) == {"optunas-choices", "optunas-choices-over-time", "optunas-best"}
    assert {_covered(f) for f in drawn.values()} == {6}
    best = drawn["optunas-best"]["data"][1]["y"]
    assert best[-1] == round(max(t.value for t in study.trials[:6]), 4)
    assert best == sorted(best)
    heatmap = drawn["optunas-choices"]["data"][0]
    assert heatmap["y"] == [f"cell/edge_{e}" for e in range(6)]
    assert all(math.isclose(sum(row), 1.0, abs_tol=1e-3) for row in heatmap["z"])
    assert CHARTS["optunas-best"] in drawn["optunas-best"]["layout"]["title"]["text"]

    study.optimize(_convs, n_trials=2, callbacks=[charts])
    assert {_covered(f) for f in _charts(study).values()} == {9}
    charts.refresh(study)
    assert len(_charts(study)) == 3
    with pytest.raises(ValueError):
        StudyCharts(every=0)


def test_a_chain_s_chart_shows_the_op_of_each_layer() -> None:
    space = Chain(max_layers=3)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: len(space.suggest(t).layers), n_trials=20)
    heatmap = study_figures(study)["optunas-choices"].data[0]
    assert heatmap["y"] == ["layer_1/op", "layer_2/op", "layer_3/op"]
    assert heatmap["x"] == list(space.ops)


@pytest.mark.slow
def test_two_objectives_get_names_a_front_and_learning_curves(small_mnist1d) -> None:
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=1)
    )
    study.optimize(
        TrainObjective(NB201(channels=4), small_mnist1d, epochs=2, draw=False),
        n_trials=3,
        callbacks=[StudyCharts(every=3)],
    )
    assert study.metric_names == ["validation accuracy", "params"]
    for trial in study.trials:
        assert "params" not in trial.user_attrs  # the dashboard's "Params" are the choices
        assert n_parameters(trial) == trial.values[1]
        curve = trial.user_attrs["accuracy_curve"]
        assert len(curve) == 2 and all(v == round(v, 4) for v in curve)
    drawn = _charts(study)
    pareto = drawn["optunas-pareto"]
    assert pareto["layout"]["xaxis"]["title"]["text"] == "params"
    assert pareto["layout"]["yaxis"]["title"]["text"] == "validation accuracy"
    front = sorted(study.best_trials, key=lambda t: t.values[1])
    assert pareto["data"][1]["text"] == [f"trial {t.number}" for t in front]
    curves = {c["name"].split()[1]: c["y"] for c in drawn["optunas-curves"]["data"]}
    assert curves == {str(t.number): t.user_attrs["accuracy_curve"] for t in study.trials}


def test_reinforce_records_its_entropy_for_the_chart() -> None:
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
    study.optimize(_convs, n_trials=4, callbacks=[StudyCharts(every=4)])
    uniform = round(6 * math.log(5), 4)  # six edges of five operations
    shares = []
    for trial in study.trials:
        entropy = trial.system_attrs[REINFORCE_ENTROPY_ATTR]
        assert entropy["uniform"] == uniform and 0 < entropy["nats"] <= uniform
        shares.append(round(entropy["nats"] / uniform, 4))
    assert _charts(study)["optunas-entropy"]["data"][0]["y"] == shares


def test_names_are_set_once_and_a_users_are_kept() -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.set_metric_names(["acc", "size"])
    name_metrics(study, ["accuracy", "params"])
    assert study.metric_names == ["acc", "size"]
    old = optuna.trial.create_trial(value=0.5, user_attrs={"params": 7})
    assert n_parameters(old) == 7 and n_parameters(optuna.trial.create_trial(value=1), 0) == 0
