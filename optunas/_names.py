"""The names the ``optunas`` command accepts (spaces, datasets, objectives, evaluators,
optimisers, samplers, pruners, tables) and its default storage, readable without torch: the
one registry of names of the command.

The packages that implement them load torch; the command checks its input and prints its
help with these names alone, so that bad input, ``--help`` and ``optunas list`` answer in a
fraction of a second.

Example:
    >>> from optunas._names import DATASETS, SPACES
    >>> "mnist1d" in DATASETS and "nb201" in SPACES
    True
"""

from __future__ import annotations

import optuna

#: The spaces the CLI knows by name; :data:`optunas.spaces.SPACES` maps each to its class.
SPACES: tuple[str, ...] = ("nb201", "chain")

#: Names accepted by :func:`optunas.data.load_dataset` and the CLI's ``--dataset``.
DATASETS: tuple[str, ...] = ("mnist1d", "mnist", "fashion_mnist", "cifar10")

#: What a study's objective can be, with the direction each wants.
OBJECTIVES: dict[str, optuna.study.StudyDirection] = {
    "accuracy": optuna.study.StudyDirection.MAXIMIZE,
    "params": optuna.study.StudyDirection.MINIMIZE,
    "flops": optuna.study.StudyDirection.MINIMIZE,
}

#: How a trial is scored (``--evaluator``): trained standalone, estimated on a supernet, or
#: looked up in the tabular benchmark.
EVALUATORS: tuple[str, ...] = ("train", "supernet", "tabular")

#: How a supernet shares its weights (``--supernet-mode``); :mod:`optunas.evaluation` takes
#: the same names.
SUPERNET_MODES: tuple[str, ...] = ("one-shot", "enas")

#: The guards of a DARTS search against its collapse (``optunas darts --guard``);
#: :mod:`optunas.evaluation` takes the same names.
GUARDS: tuple[str, ...] = ("none", "average", "dartsminus", "pt")

#: The storage of the commands that create a study when neither ``--storage`` nor
#: ``OPTUNA_STORAGE`` names one (Optuna's commands refuse).
DEFAULT_STORAGE = "sqlite:///optunas.db"

#: The optimisers a :class:`optunas.evaluation.Recipe` can train with.
OPTIMIZERS: tuple[str, ...] = ("adamw", "adam", "sgd")

#: The samplers the commands know, by name, with the class each builds. Every command takes
#: either spelling (``--sampler evolution`` or ``--sampler EvolutionSampler``), and records
#: the name. :data:`optunas.samplers.SAMPLERS` holds their factories, in this order.
SAMPLERS: dict[str, str] = {
    "tpe": "TPESampler",
    "random": "RandomSampler",
    "gp": "GPSampler",
    "cmaes": "CmaEsSampler",
    "nsga2": "NSGAIISampler",
    "reinforce": "ReinforceSampler",
    "evolution": "EvolutionSampler",
}

#: The pruners the commands know, by name, with the class each builds (as for samplers);
#: :data:`optunas.pruners.PRUNERS` holds their factories, in this order.
PRUNERS: dict[str, str] = {
    "none": "NopPruner",
    "median": "MedianPruner",
    "sha": "SuccessiveHalvingPruner",
    "hyperband": "HyperbandPruner",
    "curve": "LearningCurvePruner",
    "predictor": "PredictorPruner",
}


def canonical(kind: str, value: str, names: dict[str, str]) -> str:
    """The name for ``value``, given as a name or as its class name.

    Raises:
        ValueError: ``value`` is neither; the message names the nearest spelling.

    Example:
        >>> from optunas._names import SAMPLERS, canonical
        >>> canonical("sampler", "EvolutionSampler", SAMPLERS)
        'evolution'
    """
    if value in names:
        return value
    for name, class_name in names.items():
        if value == class_name:
            return name
    message = unknown(kind, value, list(names), [*names, *names.values()])
    raise ValueError(f"{message} (or their class names)")


def unknown(kind: str, value: str, valid: list[str], spellings: list[str] | None = None) -> str:
    """One line for an unknown ``value``: the nearest of ``spellings`` (default: ``valid``),
    if one is near, and the valid names.

    Example:
        >>> from optunas._names import unknown
        >>> unknown("space", "nb210", ["nb201", "chain"])
        "unknown space 'nb210' (did you mean 'nb201'?); choose from nb201, chain"
    """
    import difflib

    spellings = valid if spellings is None else spellings
    by_lower = {s.lower(): s for s in spellings}
    near = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f" (did you mean {by_lower[near[0]]!r}?)" if near else ""
    return f"unknown {kind} {value!r}{hint}; choose from {', '.join(valid)}"


#: NAS-Bench-201's own tables, by the name ``optunas bench samplers --table`` takes
#: (:mod:`optunas.benchmarks._nasbench201` loads them).
NASBENCH201_TABLES: tuple[str, ...] = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16")

#: Optuna's own commands, which ``optunas`` hands to Optuna's CLI.
OPTUNA_COMMANDS = (
    "ask",
    "tell",
    "trials",
    "best-trial",
    "best-trials",
    "studies",
    "study-names",
    "study set-user-attr",
    "delete-study",
    "storage upgrade",
)
