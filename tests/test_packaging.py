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


# Runs the command in this process of its own and reports, after it exits, whether torch was
# ever imported: the last line of stderr, whatever the command printed before it.
_COMMAND_THEN_TORCH = """
import runpy, sys
sys.argv = ["optunas", *sys.argv[1:]]
try:
    runpy.run_module("optunas", run_name="__main__")
finally:
    print("torch imported:", "torch" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "status", "said"),
    [
        (["--help"], 0, "create-study"),
        (["list"], 0, "objectives: accuracy"),
        (["run", "--space", "nosuch"], 2, "unknown space 'nosuch'"),
        (["worker", "--epochs", "0"], 2, "must be greater than 0"),
        (
            ["create-study", "--storage", "STORAGE", "--direction", "minimize"],
            2,
            "does not fit objectives accuracy",
        ),
        (["retrain", "--storage", "STORAGE", "--study-name", "s"], 2, "no file"),
    ],
)
def test_the_command_loads_torch_only_to_train(args, status, said, tmp_path) -> None:
    # Each refusal, help and listing runs in a process of its own, hundreds of times in the
    # tests: without torch it takes a fraction of a second instead of seconds.
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    args = [storage if arg == "STORAGE" else arg for arg in args]
    result = subprocess.run(
        [sys.executable, "-c", _COMMAND_THEN_TORCH, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == status, result.stderr
    assert said in result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == "torch imported: False"


def test_the_command_knows_every_space_by_name() -> None:
    from optunas._names import SPACES as SPACE_NAMES
    from optunas.spaces import SPACES

    assert tuple(SPACES) == SPACE_NAMES
