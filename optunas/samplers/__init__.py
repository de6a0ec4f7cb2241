"""Samplers for architecture search, and the names the CLI knows them by.

Everything here stands on Optuna alone, so it works on any objective, not only optunas's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import optuna

from optunas.samplers._evolution import EvolutionSampler


def __getattr__(name: str) -> Any:
    # ReinforceSampler's controller is a torch network; loading torch only when it is asked
    # for keeps `import optunas.samplers` (and the command's Optuna sub-commands) light.
    if name == "ReinforceSampler":
        from optunas.samplers._reinforce import ReinforceSampler

        return ReinforceSampler
    raise AttributeError(f"module 'optunas.samplers' has no attribute {name!r}")


def _reinforce(seed: int | None) -> optuna.samplers.BaseSampler:
    from optunas.samplers._reinforce import ReinforceSampler

    return ReinforceSampler(seed=seed)


def _tpe(seed: int | None) -> optuna.samplers.BaseSampler:
    # Architecture spaces are conditional (a layer's choices exist only with the layer):
    # grouping lets multivariate TPE model each set of co-occurring params jointly instead
    # of falling back to independent sampling for every param outside the intersection.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)


def _cmaes(seed: int | None) -> optuna.samplers.BaseSampler:
    # CMA-ES models numbers only; categorical choices go to its independent (random) sampler.
    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def _gp(seed: int | None) -> optuna.samplers.BaseSampler:
    return optuna.samplers.GPSampler(seed=seed, warn_independent_sampling=False)


#: Sampler factories by CLI name; each takes a seed (or None).
SAMPLERS: dict[str, Callable[[int | None], optuna.samplers.BaseSampler]] = {
    "tpe": _tpe,
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "gp": _gp,
    "cmaes": _cmaes,
    "nsga2": lambda seed: optuna.samplers.NSGAIISampler(seed=seed),
    "reinforce": _reinforce,
    "evolution": lambda seed: EvolutionSampler(seed=seed),
}


def get_sampler(name: str, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """A sampler by name, with optunas's presets for architecture spaces.

    Example:
        >>> from optunas.samplers import get_sampler
        >>> type(get_sampler("tpe", seed=0)).__name__
        'TPESampler'
    """
    try:
        factory = SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; choose from {', '.join(SAMPLERS)}") from None
    return factory(seed)


__all__ = ["EvolutionSampler", "ReinforceSampler", "SAMPLERS", "get_sampler"]
