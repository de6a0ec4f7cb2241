"""The README's code and the examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import optuna

from optunas import TrainObjective

ROOT = Path(__file__).resolve().parent.parent


def readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```python\n(.*?)```", text, re.S)
    assert match, f"README has no python block after <!-- {marker} -->"
    return match.group(1)


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


def test_examples_run(tmp_path) -> None:
    for example in sorted((ROOT / "examples").glob("*.py")):
        result = subprocess.run(
            [sys.executable, str(example)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{example.name}: {result.stderr}"
        assert "best" in result.stdout, example.name


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
