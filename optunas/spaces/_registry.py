"""The spaces known by name, and a space written into a study and read back.

A study records its space as ``{"name": ..., **options}`` (``supernet:space``, written by the
supernet and DARTS searches) or by name alone in the ``optunas`` command's configuration, so
that a later reader (retraining, export) rebuilds the very space the trials were drawn from.
"""

from __future__ import annotations

from typing import Any

import optuna

from optunas._recorded import command_settings
from optunas.spaces._base import SearchSpace
from optunas.spaces._chain import Chain
from optunas.spaces._nb201 import NB201

#: The spaces the CLI knows by name, with their default settings.
SPACES: dict[str, type[SearchSpace]] = {NB201.name: NB201, Chain.name: Chain}
#: The study user attr that records a space with its options.
STUDY_ATTR_SPACE = "supernet:space"


def get_space(name: str) -> SearchSpace:
    """The space called ``name`` with default settings.

    Example:
        >>> from optunas.spaces import get_space
        >>> get_space("nb201")
        NB201(channels=16, cells_per_stage=1)
    """
    try:
        return SPACES[name]()
    except KeyError:
        raise ValueError(f"unknown space {name!r}; choose from {', '.join(SPACES)}") from None


def space_options(space: SearchSpace) -> dict[str, Any]:
    """The settings that rebuild ``space`` (``type(space)(**options)``), as JSON values.

    Example:
        >>> from optunas.spaces import NB201
        >>> from optunas.spaces._registry import space_options
        >>> space_options(NB201(channels=8))
        {'channels': 8, 'cells_per_stage': 1}
    """
    if isinstance(space, NB201):
        return {"channels": space.channels, "cells_per_stage": space.cells_per_stage}
    if isinstance(space, Chain):
        return {
            "min_layers": space.min_layers,
            "max_layers": space.max_layers,
            "ops": list(space.ops),
            "kernels": list(space.kernels),
            "widths": list(space.widths),
            "activations": list(space.activations),
            "stem_width": space.stem_width,
        }
    raise TypeError(f"no supernet for the space {space!r}")


def space_record(space: SearchSpace) -> dict[str, Any]:
    """What :data:`STUDY_ATTR_SPACE` holds for ``space``: its name and options."""
    return {"name": space.name, **space_options(space)}


def recorded_space(study: optuna.Study) -> SearchSpace:
    """The search space a study records: a supernet's (``supernet:space``), else the
    ``optunas`` command's (``space`` in ``optunas:config``, or the older ``optunas:space``;
    default settings).

    Example:
        >>> import optuna
        >>> from optunas.spaces import NB201
        >>> from optunas.spaces._registry import STUDY_ATTR_SPACE, recorded_space, space_record
        >>> study = optuna.create_study()
        >>> study.set_user_attr(STUDY_ATTR_SPACE, space_record(NB201(channels=8)))
        >>> recorded_space(study)
        NB201(channels=8, cells_per_stage=1)
    """
    recorded = study.user_attrs.get(STUDY_ATTR_SPACE)
    if isinstance(recorded, dict) and recorded.get("name") in SPACES:
        options = {k: v for k, v in recorded.items() if k != "name"}
        return SPACES[recorded["name"]](**options)
    name = command_settings(study).get("space")
    if isinstance(name, str):
        return get_space(name)
    raise ValueError(f"study {study.study_name!r} does not record its search space; pass space=")
