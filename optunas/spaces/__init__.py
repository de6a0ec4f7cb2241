"""Search spaces: architectural choices as Optuna trial suggestions, genotypes, builders."""

from __future__ import annotations

from optunas.spaces._base import Genotype, SearchSpace
from optunas.spaces._chain import Chain, ChainGenotype
from optunas.spaces._nb201 import NB201, NB201_OP_NAMES, NB201Genotype

#: The spaces the CLI knows by name, with their default settings.
SPACES: dict[str, type[SearchSpace]] = {"nb201": NB201, "chain": Chain}


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


__all__ = [
    "Chain",
    "ChainGenotype",
    "Genotype",
    "NB201",
    "NB201Genotype",
    "NB201_OP_NAMES",
    "SPACES",
    "SearchSpace",
    "get_space",
]
