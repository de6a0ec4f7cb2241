"""hub/package: optunas's samplers and pruners as OptunaHub packages.

The committed folders are what hub/generate.py writes; each package loads with OptunaHub's
own loader where optunas is not installed and its example runs; and the hub classes pass the
checks the optunas classes pass (the same test functions, called with the hub classes).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import optunahub
import pytest
import test_docs
import test_evolution
import test_pruners
import test_reinforce

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "hub" / "package"


def _generator():
    spec = importlib.util.spec_from_file_location("hub_generate", ROOT / "hub" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _generator()
hub = {
    p.name: optunahub.load_local_module(p.name, registry_root=str(REGISTRY))
    for p in generate.PACKAGES
}
EvolutionSampler = hub["samplers/regularized_evolution"].EvolutionSampler
ReinforceSampler = hub["samplers/reinforce"].ReinforceSampler
LearningCurvePruner = hub["pruners/learning_curve"].LearningCurvePruner
PredictorPruner = hub["pruners/performance_predictor"].PredictorPruner


def test_the_committed_packages_are_what_generate_writes() -> None:
    problems = generate.differences()
    assert not problems, "\n".join([*problems, "run `python hub/generate.py`"])
    for package in generate.PACKAGES:
        readme = REGISTRY / package.name / "README.md"
        assert generate.front_matter_problems(readme, package.name.split("/")[0]) == []


def test_the_check_fails_on_an_edited_stale_or_stray_file(tmp_path, monkeypatch) -> None:
    copy = tmp_path / "package"
    shutil.copytree(REGISTRY, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(generate, "PACKAGES_DIR", copy)
    assert generate.differences() == []
    evolution = copy / "samplers" / "regularized_evolution"
    with open(evolution / "_evolution.py", "a") as f:
        f.write("# edited by hand\n")
    (evolution / "_common.py").unlink()
    (evolution / "notes.txt").write_text("stray")
    (copy / "pruners" / "learning_curve" / "README.md").unlink()
    assert generate.differences() == [
        "samplers/regularized_evolution/_common.py is not what generate.py writes",
        "samplers/regularized_evolution/_evolution.py is not what generate.py writes",
        "samplers/regularized_evolution/notes.txt is neither generated nor hand-written",
        "pruners/learning_curve/README.md is missing (written by hand)",
    ]
    generate.write()  # regeneration restores the generated files and removes the stray one
    (copy / "pruners" / "learning_curve" / "README.md").write_text("x")
    assert generate.differences() == []


def test_imports_become_relative_and_examples_load_from_optunahub() -> None:
    source = (
        "from optunas.pruners._curves import (\n    predict,\n)\n"
        '"""\n    >>> from optunas.pruners import LearningCurvePruner, PredictorPruner\n"""\n'
    )
    text, siblings = generate._rewrite(source, "pruners", "x.py")
    assert siblings == ["optunas/pruners/_curves.py"]
    assert text.splitlines() == [
        "from ._curves import (",
        "    predict,",
        ")",
        '"""',
        "    >>> import optunahub",
        '    >>> LearningCurvePruner = optunahub.load_module("pruners/learning_curve").LearningCurvePruner',
        '    >>> PredictorPruner = optunahub.load_module("pruners/performance_predictor").PredictorPruner',
        '"""',
    ]
    # The compat module, outside the category, comes along too.
    source = "from optunas._compat import trial_id_of\nfrom optunas import _compat\n"
    text, siblings = generate._rewrite(source, "samplers", "x.py")
    assert siblings == ["optunas/_compat.py", "optunas/_compat.py"]
    assert text.splitlines() == ["from ._compat import trial_id_of", "from . import _compat"]
    for bad in [
        "from optunas.nn._layers import x\n",
        "import optunas\n",
        "from optunas import nn\n",
    ]:
        with pytest.raises(SystemExit):
            generate._rewrite(bad, "pruners", "x.py")


def test_the_readme_loads_a_package_from_hub_package(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # the guide's path is relative to the repository
    namespace: dict = {}
    exec(compile(test_docs.doc_block("hub-example", "python"), "samplers.rst", "exec"), namespace)
    assert type(namespace["sampler"]).__name__ == "ReinforceSampler"
    assert type(namespace["sampler"]).__module__.startswith("optunahub_registry.package.")


# Run with -I (no PYTHONPATH, no user site, not the current folder) from a temporary folder:
# the repository leaves sys.path and optunas counts as not installed (a package installed
# into the same environment is refused), so the package must stand on Optuna, numpy, scipy
# and torch alone. example.py and the docstrings' examples load packages with
# optunahub.load_module, as users do; the cache it reads (OPTUNAHUB_CACHE_HOME) holds
# hub/package, so nothing is downloaded.
CHILD = """
import importlib.abc, os, runpy, sys
repository, registry, package, example = sys.argv[1:5]
sys.path = [p for p in sys.path if os.path.realpath(p) != repository]

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "optunas":
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NotInstalled())
try:
    import optunas
    raise SystemExit("optunas is importable")
except ModuleNotFoundError:
    pass
import optunahub
module = optunahub.load_local_module(package=package, registry_root=registry)
print("loaded", *module.__all__, flush=True)
import doctest
modules = [m for n, m in sys.modules.items() if n.startswith(module.__name__ + ".")]
results = [doctest.testmod(m) for m in modules]  # the docstrings' examples
if any(r.failed for r in results) or not any(r.attempted for r in results):
    raise SystemExit("a docstring example failed, or none ran")
runpy.run_path(example, run_name="__main__")
"""


@pytest.mark.slow
@pytest.mark.parametrize("package", generate.PACKAGES, ids=lambda p: p.name)
def test_each_package_loads_and_runs_its_example_where_optunas_is_not_installed(
    package, tmp_path
) -> None:
    cache = tmp_path / "cache"
    cached = cache / "github.com" / "optuna" / "optunahub-registry" / "main" / "package"
    shutil.copytree(REGISTRY, cached, ignore=shutil.ignore_patterns("__pycache__"))
    args = [
        str(ROOT.resolve()),
        str(REGISTRY),
        package.name,
        str(REGISTRY / package.name / "example.py"),
    ]
    proc = subprocess.run(
        [sys.executable, "-I", "-B", "-c", CHILD, *args],
        cwd=tmp_path,
        env={**os.environ, "OPTUNAHUB_CACHE_HOME": str(cache), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == " ".join(["loaded", *package.exports])
    assert "Traceback" not in proc.stderr


# The optunas classes' own checks, run on the hub classes: Optuna's sampler test suites, and
# the test functions of tests/test_*.py called with the hub classes in place of optunas's.


@pytest.fixture(autouse=True)
def _hub_classes(monkeypatch) -> None:
    monkeypatch.setattr(test_evolution, "EvolutionSampler", EvolutionSampler)
    monkeypatch.setattr(test_reinforce, "ReinforceSampler", ReinforceSampler)
    monkeypatch.setattr(test_pruners, "LearningCurvePruner", LearningCurvePruner)
    monkeypatch.setattr(test_pruners, "PredictorPruner", PredictorPruner)


class TestHubEvolutionBasic(test_evolution.TestEvolutionBasic):
    pass  # its sampler fixture reads EvolutionSampler from test_evolution: the hub's here


class TestHubEvolutionMultiObjective(test_evolution.TestEvolutionMultiObjective):
    pass


class TestHubReinforceBasic(test_reinforce.TestReinforceBasic):
    pass


@pytest.mark.parametrize("seed", [0, 1])
def test_evolution_counts_a_running_trial_as_seen(seed) -> None:
    test_evolution.test_a_running_trial_counts_as_seen(seed)


@pytest.mark.slow
def test_evolution_conditional_space_and_restart(tmp_path) -> None:
    test_evolution.test_conditional_space_and_restart(tmp_path)


@pytest.mark.slow
def test_reinforce_same_seed_and_history_give_the_same_next_architecture(tmp_path) -> None:
    test_reinforce.test_same_seed_and_history_give_the_same_next_architecture(tmp_path)


def test_reinforce_conditional_spaces_and_fallback_params() -> None:
    test_reinforce.test_conditional_spaces_and_fallback_params()


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_reinforce_a_pruned_trial_teaches_its_last_value(direction) -> None:
    test_reinforce.test_a_pruned_trial_teaches_its_last_value_and_a_failed_one_nothing(direction)


def _loading(source: str, name: str, package: str) -> str:
    """A worker script of tests/ with its optunas import replaced by OptunaHub's loader."""
    line = f"from optunas.{package.split('/')[0]} import {name}"
    assert source.count(line) == 1, f"the worker no longer imports {name} as {line!r}"
    load = f"import optunahub; {name} = optunahub.load_local_module({package!r}, registry_root={str(REGISTRY)!r}).{name}"
    return source.replace(line, load)


@pytest.mark.slow
def test_reinforce_unseeded_workers_rebuild_one_controller(tmp_path, monkeypatch) -> None:
    worker = _loading(test_reinforce.WORKER, "ReinforceSampler", "samplers/reinforce")
    monkeypatch.setattr(test_reinforce, "WORKER", worker)
    test_reinforce.test_unseeded_workers_rebuild_one_controller_and_keep_their_own_noise(tmp_path)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: LearningCurvePruner(),
        lambda: PredictorPruner(n_min_trials=5),
        lambda: PredictorPruner(n_min_trials=5, model="chain"),
    ],
    ids=["curve", "predictor", "predictor-chain"],
)
def test_pruners_prune_a_curve_that_levels_off_low(direction, make) -> None:
    test_pruners.test_a_curve_that_levels_off_low_is_pruned_a_rising_one_kept(direction, make)


def test_learning_curve_ignores_nan_unless_latest() -> None:
    test_pruners.test_nan_values_are_ignored_unless_latest()


def test_two_workers_prune_one_study_together(tmp_path, study_name, monkeypatch) -> None:
    worker = _loading(
        test_pruners.PRUNING_WORKER, "PredictorPruner", "pruners/performance_predictor"
    )
    monkeypatch.setattr(test_pruners, "PRUNING_WORKER", worker)
    test_pruners.test_two_workers_prune_one_study_together("journal", tmp_path, study_name)


def test_hub_classes_are_not_optunas() -> None:
    """The checks above ran on the generated code, not on optunas's modules."""
    import optunas.pruners
    import optunas.samplers

    for cls in (EvolutionSampler, ReinforceSampler, LearningCurvePruner, PredictorPruner):
        assert cls.__module__.startswith("optunahub_registry.package."), cls.__module__
        assert cls is not getattr(optunas.samplers, cls.__name__, None)
        assert cls is not getattr(optunas.pruners, cls.__name__, None)
