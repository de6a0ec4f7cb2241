"""The README's and the guides' code runs as written; the API reference names every public
name; the README stays short."""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ROOT / "docs" / "guides"
REFERENCE = ROOT / "docs" / "reference"
#: The packages whose every public name (``__all__``) the API reference must list.
PACKAGES = [
    "optunas",
    "optunas.samplers",
    "optunas.pruners",
    "optunas.evaluation",
    "optunas.spaces",
]


def readme_block(marker: str, language: str = "python") -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```{language}\n(.*?)```", text, re.S)
    assert match, f"README has no {language} block after <!-- {marker} -->"
    return match.group(1)


def guide_blocks() -> list[dict]:
    """Every code block of the guides: its file, language, code, and the comments just above
    it: ``.. block: NAME`` (a test of its own runs it, smaller) and ``.. run: slow``, ``serves``
    (its last command serves HTTP) or ``slow-serves``."""
    blocks = []
    for path in sorted(GUIDES.glob("*.rst")):
        lines = path.read_text().splitlines()
        notes: dict[str, str] = {}
        i = 0
        while i < len(lines):
            line = lines[i]
            comment = re.match(r"\.\. (block|run): (\S+)$", line)
            directive = re.match(r"\.\. code-block:: (\w+)$", line)
            if comment:
                notes[comment.group(1)] = comment.group(2)
            elif directive:
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
                    body.append(lines[i][3:])
                    i += 1
                code = "\n".join(body).strip("\n") + "\n"
                blocks.append(
                    {"file": path.name, "language": directive.group(1), "code": code, **notes}
                )
                notes = {}
                continue
            elif line.strip():
                notes = {}
            i += 1
    return blocks


def doc_block(name: str, language: str) -> str:
    """The code of the block named ``name``: in the README after ``<!-- name -->``, or in a
    guide after ``.. block: name``."""
    if f"<!-- {name} -->" in (ROOT / "README.md").read_text():
        return readme_block(name, language)
    found = [b for b in guide_blocks() if b.get("block") == name]
    assert len(found) == 1, f"no guide has one block named {name!r}"
    assert found[0]["language"] == language, (name, found[0]["language"])
    return found[0]["code"]


def _env() -> dict[str, str]:
    # The commands and `python3` of the environment running the tests come first on PATH.
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _run(block: dict, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if block["language"] == "python":
        script = tmp_path / "block.py"
        script.write_text(block["code"])
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-euo", "pipefail", "-c", block["code"]]
    return subprocess.run(
        command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=600
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serves(script: str, tmp_path: Path) -> None:
    """Run a script whose last command serves HTTP; check that it answers, stop it."""
    *before, command = [line for line in script.splitlines() if line.strip()]
    if before:
        ran = _run({"language": "bash", "code": "\n".join(before)}, tmp_path)
        assert ran.returncode == 0, ran.stderr
    port = _free_port()
    command = re.sub(r"--port \d+", f"--port {port}", command.split("#")[0])
    if "--port" not in command:
        command += f" --port {port}"
    proc = subprocess.Popen(
        shlex.split(command),
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [code.strip() for code in re.findall(r"-->\s*```(?:python|bash)\n(.*?)```", text, re.S)]


#: The guides' blocks this test runs: not those a test of their own runs (named ones, and
#: those the README shows as well, which the README's tests run).
_RUNNABLE = [
    b
    for b in guide_blocks()
    if b["language"] in ("python", "bash")
    and "block" not in b
    and b["code"].strip() not in _readme_blocks()
]


def _block_id(block: dict) -> str:
    first = next(line for line in block["code"].splitlines() if line.strip())
    return f"{block['file']}:{first[:40]}"


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(b, marks=[pytest.mark.slow] if "slow" in b.get("run", "") else [])
        for b in _RUNNABLE
    ],
    ids=_block_id,
)
def test_every_guide_block_runs_as_written(block, tmp_path) -> None:
    if block.get("run", "").endswith("serves"):
        _serves(block["code"].strip(), tmp_path)
        return
    result = _run(block, tmp_path)
    assert result.returncode == 0, f"{block['file']}:\n{block['code']}\n{result.stderr}"


def test_every_named_block_has_a_test_of_its_own() -> None:
    """A block named ``.. block: NAME`` (or README's ``<!-- NAME -->``) is run, smaller, by a
    test that reads it by that name."""
    tests = "".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    names = [b["block"] for b in guide_blocks() if "block" in b]
    names += re.findall(r"<!-- (readme-[\w-]+) -->", (ROOT / "README.md").read_text())
    assert names
    assert [n for n in names if not re.search(rf'["\s]{re.escape(n)}["\s]', tests)] == []
    kinds = {b["language"] for b in guide_blocks()}
    assert kinds <= {"python", "bash", "text"}, kinds  # no block the tests would not run


def test_the_readme_is_at_most_300_lines() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    commands = []
    for marker, block in re.findall(r"(?:<!-- ([\w-]+) -->\s*)?```bash\n(.*?)```", text, re.S):
        if marker:
            continue  # a test of its own runs the block (test_every_named_block...)
        for line in block.replace("\\\n", " ").splitlines():
            for command in line.split("#")[0].split("&&"):
                if command.strip():
                    commands.append(" ".join(command.split()))
    return commands


def test_every_command_the_readme_shows_is_run_by_a_test_or_by_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    for command in _readme_commands():
        if command.startswith("python3 -m venv"):
            assert "python3 -m venv .venv" in ci
        elif command.startswith(".venv/bin/pip install"):
            # CI installs what the README installs: the test extra (which holds the others).
            assert ".venv/bin/pip install '.[test]'" in ci, command
        elif command == ".venv/bin/python -m pytest":
            assert ci.rstrip().endswith(command)
        elif "-m sphinx" in command:
            assert command in ci
        elif command.startswith(".venv/bin/python -m pytest -m"):
            markers = ast.literal_eval(command.split(" -m ", 2)[2])
            pyproject = (ROOT / "pyproject.toml").read_text()
            assert all(
                f'"{m}:' in pyproject
                for m in re.findall(r"\w+", markers)
                if m not in ("and", "not")
            )
        elif command.startswith(".venv/bin/optunas run"):
            assert command == ".venv/bin/optunas run --n-trials 20"  # the quickstart's test
        elif command.startswith(".venv/bin/optunas dashboard"):
            pass  # test_the_readme_dashboard_command_serves
        else:
            pytest.fail(f"no test runs the README's command {command!r}")


def _shape(line: str) -> str:
    """A line of output with its numbers and its cell left out."""
    return re.sub(r"\d[\d,.]*", "N", re.sub(r"\|\S*\|", "CELL", line.rstrip()))


@pytest.mark.slow
def test_the_quickstart_search_ends_as_the_readme_shows(tmp_path) -> None:
    # The README's search, 2 trials of 1 epoch: the same ending, other figures.
    result = subprocess.run(
        ["optunas", "run", "--n-trials", "2", "--epochs", "1", "--no-progress"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"for example.*?\n```\n(.*?)```", readme, re.S).group(1).splitlines()
    printed = result.stdout.splitlines()[-len(shown) :]
    assert [_shape(x) for x in printed] == [_shape(x) for x in shown]
    assert "with TPE and the predictor pruner" in " ".join(readme.split())
    study = optuna.load_study(study_name=None, storage=f"sqlite:///{tmp_path / 'optunas.db'}")
    config = study.user_attrs["optunas:config"]
    assert (config["sampler"], config["pruner"]) == ("tpe", "predictor")


def test_the_readme_dashboard_command_serves(tmp_path) -> None:
    (command,) = [c for c in _readme_commands() if " dashboard " in c]
    # On the quickstart's storage: a study there first.
    study = "optunas create-study --storage sqlite:///optunas.db --evaluator tabular"
    _serves(f"{study}\n{command.replace('.venv/bin/', '')}", tmp_path)


def _documented_names() -> set[str]:
    names = set()
    for path in REFERENCE.glob("*.rst"):
        module = None
        for line in path.read_text().splitlines():
            automodule = re.match(r"\.\. automodule:: ([\w.]+)", line)
            entry = re.match(r"\.\. (?:auto\w+|py:\w+):: ([\w.]+)", line)
            if automodule:
                module = automodule.group(1)
            elif entry:
                name = entry.group(1)
                names.add(name if name.startswith("optunas") else f"{module}.{name}")
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_the_api_reference_lists_every_public_name(package) -> None:
    public = {f"{package}.{name}" for name in importlib.import_module(package).__all__}
    assert sorted(public - _documented_names()) == []


@pytest.mark.slow
def test_the_readme_api_example_runs_as_written(tmp_path) -> None:
    # As the README writes it, at a smaller size (2 trials of 1 epoch): the same calls.
    code = readme_block("readme-api-example")
    small = code.replace("epochs=3", "epochs=1").replace("n_trials=5", "n_trials=2")
    assert small.count("=1") > code.count("=1") and "n_trials=2" in small
    script = tmp_path / "api_example.py"
    script.write_text(small)
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "accuracy 0." in result.stdout and " params" in result.stdout
    study = optuna.load_study(
        study_name="api-example", storage=f"sqlite:///{tmp_path / 'api-example.db'}"
    )
    assert len(study.trials) == 2


def test_the_readme_own_study_example_prints_what_it_says(tmp_path) -> None:
    code = readme_block("readme-own-study")
    result = _run({"language": "python", "code": code}, tmp_path)
    assert result.returncode == 0, result.stderr
    printed = re.search(r"print\(study.best_params\)  # (.*)", code).group(1)
    assert result.stdout.strip() == printed


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
def test_the_readme_supernet_example_prints_each_estimate_beside_its_truth(tmp_path) -> None:
    script = tmp_path / "supernet_example.py"
    script.write_text(readme_block("readme-supernet"))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(re.fullmatch(r"estimate 0\.\d{3} -> standalone [01]\.\d{3}", x) for x in lines)
    study = optuna.load_study(study_name="shared", storage=f"sqlite:///{tmp_path / 'supernet.db'}")
    assert len(study.trials) == 20 and (tmp_path / "supernet.pt").exists()
