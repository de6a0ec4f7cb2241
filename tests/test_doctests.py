"""Every example in a public docstring runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import optunas

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(optunas.__path__, "optunas.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_public_classes_have_examples() -> None:
    from optunas import TrainObjective
    from optunas.data import Dataset
    from optunas.evaluation import DartsSearch
    from optunas.nn import ChainNetwork, DartsChain, DartsNB201, MixedOp, NB201Network
    from optunas.spaces import NB201, Chain, ChainGenotype, NB201Genotype, SearchSpace
    from optunas.storages import HeartbeatJournalStorage

    for obj in (
        TrainObjective,
        NB201,
        Chain,
        NB201Genotype,
        ChainGenotype,
        SearchSpace,
        NB201Network,
        ChainNetwork,
        DartsSearch,
        DartsNB201,
        DartsChain,
        MixedOp,
        Dataset,
        HeartbeatJournalStorage,
    ):
        assert ">>>" in (obj.__doc__ or ""), f"{obj.__name__} has no runnable example"
