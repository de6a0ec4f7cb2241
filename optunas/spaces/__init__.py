"""Search spaces: architectural choices as Optuna trial suggestions, genotypes, builders."""

from __future__ import annotations

from optunas.spaces._base import Genotype, SearchSpace
from optunas.spaces._chain import Chain, ChainGenotype
from optunas.spaces._nb201 import NB201, NB201_OP_NAMES, NB201Genotype
from optunas.spaces._registry import SPACES, get_space

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
