"""The README's code and the examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from optunas import TrainObjective

ROOT = Path(__file__).resolve().parent.parent


def readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```python\n(.*?)```", text, re.S)
    assert match, f"README has no python block after <!-- {marker} -->"
    return match.group(1)


@pytest.mark.slow
def test_readme_api_example_runs_as_written(tmp_path) -> None:
    script = tmp_path / "api_example.py"
    script.write_text(readme_block("readme-api-example"))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "accuracy 0." in result.stdout and " params" in result.stdout
    study = optuna.load_study(
        study_name="api-example", storage=f"sqlite:///{tmp_path / 'api-example.db'}"
    )
    assert len(study.trials) == 5


@pytest.mark.slow
def test_readme_custom_space_trains(small_mnist1d) -> None:
    namespace: dict = {}
    exec(compile(readme_block("readme-custom-space"), "README.md", "exec"), namespace)
    space = namespace["MLP"]()
    study = optuna.create_study(direction="maximize")
    study.optimize(TrainObjective(space, small_mnist1d, epochs=2), n_trials=2)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert space.genotype(study.best_params) == namespace["MLPGenotype"](
        study.best_params["mlp/depth"], study.best_params["mlp/width"]
    )
    assert study.best_trial.user_attrs["n_parameters"] > 0


#: Examples with a test of their own below.
_TESTED_APART = {"weight_sharing.py"}


# One test per example, so that the workers of the suite run them side by side.
@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (ROOT / "examples").glob("*.py") if p.name not in _TESTED_APART),
)
def test_examples_run(name, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{name}: {result.stderr}"
    assert "best" in result.stdout, name


@pytest.mark.slow
def test_weight_sharing_example_searches_retrains_and_runs_enas(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "weight_sharing.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("best one-shot estimate 0.")
    retrained = [line for line in lines if "-> standalone" in line]
    assert len(retrained) == 2
    # The two retrained cells are the study's two best estimates, each beside its truth.
    best = float(lines[0].split()[3].rstrip(":"))
    assert float(retrained[0].split()[1]) == best
    assert all(0.1 < float(line.split()[-1]) <= 1.0 for line in retrained)
    assert lines[-1].startswith("best ENAS estimate 0.")
    assert not list(tmp_path.iterdir())  # the checkpoints went to a temporary folder


@pytest.mark.slow
def test_readme_supernet_example_runs_as_written(tmp_path) -> None:
    script = tmp_path / "supernet_example.py"
    script.write_text(readme_block("readme-supernet"))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("supernet_estimate |")
    study = optuna.load_study(study_name="shared", storage=f"sqlite:///{tmp_path / 'supernet.db'}")
    assert len(study.trials) == 20 and (tmp_path / "supernet.pt").exists()
