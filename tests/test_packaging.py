"""The package as an installer and an importer see it."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import optunas

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_in_one_place() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert metadata.version("optunas") == optunas.__version__


def test_the_license_ships_with_the_metadata() -> None:
    meta = metadata.metadata("optunas")
    assert meta["License-Expression"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_samplers_and_pruners_stand_on_optuna_alone() -> None:
    # What a user of Optuna imports to drop the samplers and pruners into a pipeline must
    # not pay for torch (seconds of import); ReinforceSampler loads it when it is built.
    code = (
        "import sys, optunas.samplers, optunas.pruners; "
        "from optunas.samplers import EvolutionSampler; "
        "from optunas.pruners import LearningCurvePruner, PredictorPruner; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_top_level_names_still_resolve() -> None:
    from optunas import NB201, Chain, SearchSpace, TrainObjective, spaces

    assert issubclass(NB201, SearchSpace) and issubclass(Chain, SearchSpace)
    assert callable(TrainObjective) and spaces.NB201 is NB201
