"""A NAS study's configuration: what its trials mean, kept in the study so every worker agrees.

The configuration lives in the study's user attrs as one JSON object under
``optunas:config`` with a ``version`` number, so a study created on one machine (by
``optunas create-study``, ``optunas run``, or adopted from a plain ``optuna create-study``)
is run the same way by a worker on any other.
"""

from __future__ import annotations

import argparse
from typing import Any, Literal

import optuna

from optunas._names import (
    DATASETS,
    EVALUATORS,
    OBJECTIVES,
    OPTIMIZERS,
    SPACES,
    SUPERNET_MODES,
)
from optunas._recorded import CONFIG_ATTR
from optunas._recorded import LEGACY_PREFIX as _LEGACY_PREFIX

CONFIG_VERSION = 1
#: Settings a study keeps; a worker or a resumed run must not contradict them. Each changes
#: what a trial's value means (the training recipe as much as the epochs), or how the next
#: trial is chosen (sampler, pruner), so mixing them would rank incomparable numbers.
STUDY_SETTINGS: dict[str, Any] = {
    "space": "nb201",
    "dataset": "mnist1d",
    "epochs": 10,
    "objectives": "accuracy",
    "evaluator": "train",
    "supernet_mode": "one-shot",  # read only with --evaluator supernet
    "batch_size": 128,
    "lr": 0.01,
    "optimizer": "adamw",
    "sampler": "tpe",
    "pruner": None,  # predictor for one objective, none for several (Optuna prunes only one)
}
#: Settings a worker may choose for itself: they change which trials are tried, not what a
#: trial's value means, so (as with Optuna) a study may start random and go on with TPE.
#: The recorded value is the default of every worker that names none.
PER_WORKER = ("sampler", "pruner")
#: Samplers that model one objective only.
_SINGLE_OBJECTIVE_SAMPLERS = ("reinforce", "cmaes", "gp")


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


def stored_config(study: optuna.Study | None) -> dict[str, Any]:
    """The settings a study has recorded (empty for a plain Optuna study)."""
    if study is None:
        return {}
    attrs = study.user_attrs
    config = dict(attrs.get(CONFIG_ATTR) or {})
    version = config.pop("version", CONFIG_VERSION)
    if version > CONFIG_VERSION:
        raise UsageError(
            f"study {study.study_name!r} was configured by a newer optunas (configuration "
            f"version {version}); upgrade optunas to run it"
        )
    for key in STUDY_SETTINGS:
        if key not in config and _LEGACY_PREFIX + key in attrs:
            config[key] = attrs[_LEGACY_PREFIX + key]
    return config


def resolve(args: argparse.Namespace, study: optuna.Study | None) -> dict[str, Any]:
    """Explicit options, else what the study recorded, else the defaults.

    Raises:
        UsageError: an option contradicts the recorded value (its trials would not be
            comparable), or the combination cannot work.
    """
    stored = stored_config(study)
    config: dict[str, Any] = {}
    for key, default in STUDY_SETTINGS.items():
        given = getattr(args, key, None)
        if given is not None and key in stored and given != stored[key] and key not in PER_WORKER:
            assert study is not None  # only a study records settings
            raise UsageError(
                f"study {study.study_name!r} was created with --{key.replace('_', '-')} "
                f"{stored[key]}, not {given}; use another --study-name for a new search"
            )
        config[key] = given if given is not None else stored.get(key, default)
    objectives = config["objectives"].split(",")
    if config["pruner"] is None:
        # A supernet estimate reports no learning curve, and Optuna prunes one objective only.
        # The predictor pruner (the curve pruner until it has trials to learn from): on the
        # quickstart's study, with real training, it lost nothing to no pruning, where the
        # median pruner lost 0.29 point (BENCHMARKS.md, "Where the defaults come from").
        single = len(objectives) == 1 and config["evaluator"] in ("train", "tabular")
        config["pruner"] = "predictor" if single else "none"
    check(config)
    return config


def check(config: dict[str, Any]) -> None:
    """Refuse up front what would fail at the first trial, or silently do nothing."""
    objectives = config["objectives"].split(",")
    if len(objectives) > 1:
        if config["sampler"] in _SINGLE_OBJECTIVE_SAMPLERS:
            raise UsageError(
                f"--sampler {config['sampler']} supports one objective; for several use "
                "evolution, nsga2, tpe or random"
            )
        if config["pruner"] != "none":
            raise UsageError(
                f"--pruner {config['pruner']} cannot prune a study of {len(objectives)} "
                "objectives (Optuna prunes single-objective studies only); use --pruner none"
            )
    _check_known(config)


def _check_known(config: dict[str, Any]) -> None:
    """A study configured by another install (a newer optunas, a plug-in) may name a space,
    dataset, sampler or pruner this one lacks: say which, before any trial."""
    from optunas.pruners import PRUNERS
    from optunas.samplers import SAMPLERS

    known: dict[str, Any] = {
        "space": SPACES,
        "dataset": DATASETS,
        "evaluator": EVALUATORS,
        "supernet_mode": SUPERNET_MODES,
        "optimizer": OPTIMIZERS,
        "sampler": SAMPLERS,
        "pruner": PRUNERS,
    }
    named = [(key, config[key]) for key in known]
    named += [("objectives", name) for name in config["objectives"].split(",")]
    known["objectives"] = OBJECTIVES
    for key, value in named:
        if value not in known[key]:
            option = key.replace("_", "-")
            raise UsageError(
                f"the study's --{option} is {value!r}, which this install of optunas lacks "
                f"(it has {', '.join(known[key])}); run it with the optunas that created it"
            )


#: A direction as Optuna's ``create_study`` takes it by name.
Direction = Literal["minimize", "maximize"]
_DIRECTION_NAMES: dict[optuna.study.StudyDirection, Direction] = {
    optuna.study.StudyDirection.MINIMIZE: "minimize",
    optuna.study.StudyDirection.MAXIMIZE: "maximize",
}


def directions(config: dict[str, Any]) -> list[Direction]:
    return [_DIRECTION_NAMES[OBJECTIVES[name]] for name in config["objectives"].split(",")]


def check_directions(study: optuna.Study, config: dict[str, Any]) -> None:
    """A study must want each objective the way the objective is good (more accuracy, fewer
    params): the other way round every trial would be rewarded for being worse."""
    wanted = directions(config)
    have = [d.name.lower() for d in study.directions]
    if have != wanted:
        raise UsageError(
            f"study {study.study_name!r} has directions {' '.join(have)}, but objectives "
            f"{config['objectives']} need {' '.join(wanted)}; create the study with "
            f"--directions {' '.join(wanted)} (or let optunas create-study choose them)"
        )


def record(study: optuna.Study, config: dict[str, Any]) -> None:
    """Write the configuration once; a study that lacked some settings adopts the values it
    runs with now and keeps them from then on."""
    stored = stored_config(study)
    if stored.keys() >= STUDY_SETTINGS.keys() and CONFIG_ATTR in study.user_attrs:
        return
    # A worker's own sampler or pruner does not replace the study's recorded default.
    study.set_user_attr(CONFIG_ATTR, {"version": CONFIG_VERSION, **config, **stored})


def describe(config: dict[str, Any]) -> str:
    epochs = config["epochs"]
    evaluator = {
        "supernet": f"supernet ({config['supernet_mode']}), {epochs} pretraining ",
        "tabular": f"looked up in the tabular benchmark, {epochs} ",
    }.get(config["evaluator"], f"{epochs} ")
    return (
        f"space {config['space']}, dataset {config['dataset']}, {evaluator}"
        f"epoch{'s' if epochs != 1 else ''}, objectives {config['objectives']}, sampler "
        f"{config['sampler']}, pruner {config['pruner']}"
    )
