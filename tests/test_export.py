"""`optunas export`, the real command in subprocesses: the files it writes, the standalone
network run where optunas cannot be imported, ONNX against torch, the Pareto front, bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import torch

from optunas._storage import open_storage
from optunas.export import standalone_source
from optunas.nn import LayerSpec
from optunas.spaces import NB201, Chain, ChainGenotype, NB201Genotype, get_space

ROOT = Path(__file__).resolve().parent.parent
#: Prepended to a script run with `python -I`: optunas is installed in the environment the
#: tests run in, so it is hidden from the import system; then it must fail to import.
WITHOUT_OPTUNAS = """
import importlib.abc, sys

class _NoOptunas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "optunas" or name.startswith("optunas."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _NoOptunas())
try:
    import optunas
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("optunas is importable")
"""
#: Runs each given model.py on a saved batch with saved weights and saves the outputs.
RUN_MODELS = """
import importlib.util, sys, torch

for number, folder in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"model_{number}", f"{folder}/model.py")
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.load_model(f"{folder}/weights.pt")
    with torch.no_grad():
        torch.save(model(torch.load(f"{folder}/batch.pt")), f"{folder}/outputs.pt")
assert not [name for name in sys.modules if name.split(".")[0] == "optunas"]
"""


def optunas(*args: str, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def _run_without_optunas(folders: list[Path], cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-I", "-c", WITHOUT_OPTUNAS + RUN_MODELS, *map(str, folders)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- readme-export -->\s*```bash\n(.*?)```", text, re.S)
    assert match, "README has no bash block after <!-- readme-export -->"
    return match.group(1)


@pytest.mark.slow
def test_readme_export_block_runs_as_written(tmp_path) -> None:
    """The README's block, smaller (1 trial of 1 epoch, retrained 1 epoch: the study's own
    recipe), then what it wrote: one test, so that the pytest workers do not each run it."""
    block = _readme_block()
    for long, short in (("--n-trials 20", "--n-trials 1"), ("--epochs 5", "--epochs 1")):
        assert long in block
        block = block.replace(long, short)
    assert "--epochs 20" in block
    block = block.replace("--epochs 20", "--epochs 1")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Exported trial" in result.stdout and "test accuracy" in result.stdout
    assert "NB201Network with trained weights: a batch of 4 gives logits (4, 10)" in result.stdout
    out = tmp_path / "found-model"
    names = {p.name for p in out.iterdir()}
    assert names == {"genotype.json", "model.py", "weights.pt", "metrics.json", "model.onnx"}
    # Written beside the target and renamed: no half-made folder is left next to it.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    study = optuna.load_study(study_name="found", storage=f"sqlite:///{tmp_path / 'optunas.db'}")
    trial = study.best_trial
    space = get_space("nb201")
    network = space.build(space.genotype(trial.params), (1, 40), 10)
    network.load_state_dict(torch.load(out / "weights.pt", weights_only=True))
    _check_standalone_file(out, trial, network.eval())
    _check_onnx_file(out / "model.onnx", network)
    _check_retraining(out, study, trial)


def _check_standalone_file(
    out: Path, trial: optuna.trial.FrozenTrial, network: torch.nn.Module
) -> None:
    """model.py, run where optunas cannot be imported, computes what optunas's network
    computes with the same weights."""
    source = (out / "model.py").read_text()
    assert trial.user_attrs["genotype"] in source.split("from __future__")[0]  # the header
    assert not re.search(r"^\s*(import|from) optunas", source, re.M)
    batch = torch.randn(16, 1, 40)
    torch.save(batch, out / "batch.pt")
    _run_without_optunas([out], cwd=out)
    with torch.no_grad():
        expected = network(batch)
    torch.testing.assert_close(torch.load(out / "outputs.pt"), expected, rtol=1e-6, atol=1e-6)


def _check_onnx_file(path: Path, network: torch.nn.Module) -> None:
    """model.onnx passes onnx's checker; onnxruntime gives torch's outputs within 1e-4."""
    import onnx
    import onnxruntime

    onnx.checker.check_model(str(path))
    batch = torch.randn(7, 1, 40)  # another batch size than the export's
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: batch.numpy()})
    with torch.no_grad():
        expected = network(batch)
    torch.testing.assert_close(torch.from_numpy(got), expected, rtol=0, atol=1e-4)


def _check_retraining(out: Path, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    """Same recipe, epochs and seed as the trial: the retraining is the trial's run again;
    the test split is scored; genotype.json says what was exported and from where."""
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["trial"] == trial.number and metrics["recipe"]["epochs"] == 1
    assert metrics["validation_accuracy"] == trial.value
    assert 0.0 < metrics["test_accuracy"] <= 1.0
    record = json.loads((out / "genotype.json").read_text())
    assert record["genotype_string"] == trial.user_attrs["genotype"]
    assert record["params"] == trial.params and record["values"] == {"accuracy": trial.value}
    config = dict(study.user_attrs["optunas:config"])
    config.pop("version")
    assert record["study_config"] == config
    assert get_space(record["space"]).genotype(record["params"]) == NB201Genotype.from_dict(
        record["genotype"]
    )


def _builder_cases(tmp_path: Path) -> list[tuple[Path, torch.Tensor]]:
    """model.py files of NB201 (2-D, two cells a stage) and Chain (1-D and 2-D, every layer
    op, skips across widths and resolutions), with weights far from initialisation (batch-norm
    statistics included) so that a wrong wiring cannot hide; each with a batch and the output
    optunas's network gives on it."""
    chain = ChainGenotype(
        (
            LayerSpec("conv", 5, 24, "gelu"),
            LayerSpec("max_pool", 3, skips=(0,)),
            LayerSpec("sep_conv", 3, 32, "silu", skips=(0, 1)),
            LayerSpec("avg_pool", 3, skips=(2,)),
            LayerSpec("identity", skips=(0,)),
            LayerSpec("conv", 3, 16, "tanh", skips=(1, 3)),
        )
    )
    cell = NB201Genotype(
        ("nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3")
    )
    cases = [
        (NB201(channels=4, cells_per_stage=2), cell, (2, 12, 12)),
        (Chain(stem_width=8), chain, (1, 40)),
        (Chain(stem_width=8), chain, (3, 16, 16)),
    ]
    made = []
    for number, (space, genotype, shape) in enumerate(cases):
        folder = tmp_path / f"case{number}"
        folder.mkdir()
        builder, arguments = space.builder(genotype, shape, 5)
        (folder / "model.py").write_text(standalone_source(builder, arguments, shape))
        model = space.build(genotype, shape, 5)
        generator = torch.Generator().manual_seed(number)
        model.load_state_dict(
            {
                name: torch.rand(t.shape, generator=generator) + 0.5 if t.is_floating_point() else t
                for name, t in model.state_dict().items()
            }
        )
        torch.save(model.state_dict(), folder / "weights.pt")
        batch = torch.randn(3, *shape)
        torch.save(batch, folder / "batch.pt")
        with torch.no_grad():
            made.append((folder, model.eval()(batch)))
    return made


@pytest.mark.slow
def test_every_builder_is_written_out_standalone(tmp_path) -> None:
    cases = _builder_cases(tmp_path)
    _run_without_optunas([folder for folder, _ in cases], cwd=tmp_path)
    for folder, expected in cases:
        torch.testing.assert_close(
            torch.load(folder / "outputs.pt"), expected, rtol=1e-6, atol=1e-6
        )


#: (cell, accuracy, params) of the two-objective study's trials: trial 1 is beaten by trial
#: 0 (same params, less accurate), trial 3 by trial 2 (more params, less accurate).
FRONT_TRIALS = [
    (("nor_conv_3x3",) * 6, 0.8, 50_000),
    (("nor_conv_3x3",) * 6, 0.7, 50_000),
    (("skip_connect",) * 6, 0.6, 20_000),
    (("nor_conv_1x1",) * 6, 0.5, 30_000),
]


@pytest.fixture(scope="module")
def front_study(tmp_path_factory) -> tuple[str, optuna.Study]:
    """A two-objective study (accuracy, params) made by the command, its trials told the
    values of FRONT_TRIALS (what is tested is the choice among them, not training)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('front') / 'front.db'}"
    created = optunas(
        "create-study", "--study-name", "mo", "--storage", url,
        "--objectives", "accuracy,params", "--epochs", "1",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    study = optuna.load_study(study_name="mo", storage=open_storage(url, heartbeat=False))
    space = NB201()
    for ops, accuracy, params in FRONT_TRIALS:
        study.enqueue_trial(space.params(NB201Genotype(ops)))
        trial = study.ask()
        trial.set_user_attr("genotype", str(space.suggest(trial)))
        study.tell(trial, [accuracy, params])
    return url, study


def test_list_front_prints_the_pareto_front(front_study) -> None:
    url, study = front_study
    result = optunas("export", "--study-name", "mo", "--storage", url, "--list-front")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line[:6].strip().isdigit()]
    assert [row[0] for row in rows] == ["0", "2"]
    assert [row[-1] for row in rows] == [study.trials[n].user_attrs["genotype"] for n in (0, 2)]
    assert "--trial N" in result.stdout


@pytest.mark.slow
def test_two_objectives_need_a_trial_of_the_front(front_study, tmp_path) -> None:
    url, study = front_study
    out = tmp_path / "chosen"
    export = ["export", "--study-name", "mo", "--storage", url, "--out", str(out)]
    _one_line_error(optunas(*export), "--trial", "--list-front", "Pareto front (0, 2)")
    _one_line_error(optunas(*export, "--trial", "3"), "trial 3 is not on the Pareto front")
    assert not out.exists()

    result = optunas(*export, "--trial", "2")
    assert result.returncode == 0, result.stderr
    record = json.loads((out / "genotype.json").read_text())
    assert record["trial"] == 2 and record["values"] == {"accuracy": 0.6, "params": 20_000}
    assert record["genotype_string"] == study.trials[2].user_attrs["genotype"]
    assert sorted(p.name for p in out.iterdir()) == ["genotype.json", "model.py"]


#: From another working folder: imports model.py by its path, loads the weights with no
#: argument and saves the outputs on a saved batch.
LOAD_FROM_ELSEWHERE = """
import importlib.util, sys, torch

spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
with torch.no_grad():
    torch.save(module.load_model()(torch.load(sys.argv[2])), sys.argv[3])
"""


@pytest.mark.slow
def test_load_model_finds_the_weights_beside_model_py(front_study, tmp_path) -> None:
    """load_model() reads the weights.pt beside the exported file, not one in the working
    folder, however the file is imported or run."""
    url, study = front_study
    out = tmp_path / "exported"
    result = optunas(
        "export", "--study-name", "mo", "--storage", url, "--out", str(out), "--trial", "2"
    )
    assert result.returncode == 0, result.stderr
    # The state_dict `--retrain` would save, here an untrained network's: what is tested is
    # which file is read.
    space = NB201()
    network = space.build(space.genotype(study.trials[2].params), (1, 40), 10).eval()
    torch.save(network.state_dict(), out / "weights.pt")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    batch = torch.randn(5, 1, 40)
    torch.save(batch, tmp_path / "batch.pt")
    script = [out / "model.py", tmp_path / "batch.pt", tmp_path / "outputs.pt"]
    loaded = subprocess.run(
        [sys.executable, "-I", "-c", WITHOUT_OPTUNAS + LOAD_FROM_ELSEWHERE, *map(str, script)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    with torch.no_grad():
        expected = network(batch)
    torch.testing.assert_close(torch.load(tmp_path / "outputs.pt"), expected, rtol=0, atol=0)
    ran = subprocess.run(
        [sys.executable, str(out / "model.py")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "with trained weights" in ran.stdout, ran.stderr


@pytest.fixture(scope="module")
def empty_study(tmp_path_factory) -> str:
    """A study with one running trial and none finished."""
    url = f"sqlite:///{tmp_path_factory.mktemp('empty') / 'empty.db'}"
    optuna.create_study(study_name="empty", storage=url, direction="maximize").ask()
    return url


@pytest.mark.slow
def test_bad_input_is_one_line_status_2_and_writes_nothing(
    front_study, empty_study, tmp_path
) -> None:
    url, _ = front_study
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cases = [
        (["--study-name", "empty", "--storage", empty_study], "has no completed trial"),
        (["--study-name", "mo", "--storage", url, "--trial", "99"], "has no trial 99"),
    ]
    for args, words in cases:
        out = tmp_path / "out"
        _one_line_error(optunas("export", *args, "--out", str(out)), words)
        assert not out.exists()
    unwritable = ["--out", str(blocker / "out"), "--trial", "0"]
    _one_line_error(
        optunas("export", "--study-name", "mo", "--storage", url, *unwritable), "cannot write to"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.slow
def test_onnx_without_the_extra_names_it(front_study, tmp_path) -> None:
    url, _ = front_study
    hide_onnx = (
        WITHOUT_OPTUNAS.replace('"optunas"', '"onnx"')
        .replace(
            'name.startswith("optunas.")', 'name.startswith(("onnx.", "onnxruntime", "onnxscript"))'
        )
        .split("try:")[0]
    )
    out = tmp_path / "out"
    command = hide_onnx + "from optunas.cli import main; sys.exit(main(sys.argv[1:]))"
    export = ["export", "--study-name", "mo", "--storage", url, "--trial", "0", "--onnx"]
    result = subprocess.run(
        [sys.executable, "-c", command, *export, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    _one_line_error(result, "pip install 'optunas[onnx]'")
    assert not out.exists()


def test_a_full_out_folder_is_kept_unless_overwrite_is_asked(front_study, tmp_path) -> None:
    from optunas.export import ExportError, export_trial

    _, study = front_study
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="is not empty"):
        export_trial(study, full, 0)
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    exported = export_trial(study, full, 0, overwrite=True)
    assert exported.trial.number == 0 and exported.metrics is None
    assert sorted(p.name for p in full.iterdir()) == ["genotype.json", "model.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]  # nothing left beside it


USER_LAYERS = """
from torch import nn

HIDDEN = 8


def block(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(width, HIDDEN), nn.ReLU())
"""
USER_NETWORK = """
from torch import nn

from export_test_user_nets._layers import HIDDEN, block


class MLP(nn.Module):
    def __init__(self, width: int, classes: int) -> None:
        super().__init__()
        self.body = block(width)
        self.head = nn.Linear(HIDDEN, classes)

    def forward(self, x):
        return self.head(self.body(x.flatten(1)))
"""


def test_a_builder_of_the_users_own_package_is_written_out(tmp_path, monkeypatch) -> None:
    import types

    package = tmp_path / "export_test_user_nets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_layers.py").write_text(USER_LAYERS)
    (package / "mlp.py").write_text(USER_NETWORK)
    monkeypatch.syspath_prepend(str(tmp_path))
    from export_test_user_nets.mlp import MLP

    source = standalone_source(MLP, {"width": 40, "classes": 3}, (1, 40))
    assert "export_test_user_nets" not in source.replace("# From export_test_user_nets", "")
    module = types.ModuleType("user_model")
    exec(compile(source, "model.py", "exec"), module.__dict__)
    reference = MLP(40, 3).eval()
    standalone = module.build_model().eval()
    standalone.load_state_dict(reference.state_dict())
    batch = torch.randn(4, 1, 40)
    assert torch.equal(standalone(batch), reference(batch))
