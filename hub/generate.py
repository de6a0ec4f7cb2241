"""Write hub/package, optunas's samplers and pruners as OptunaHub packages, from their source.

optunas's own modules are the one source of truth: each package's code is its module copied
with the sibling modules it imports (those imports made relative), its docstring examples
loading it with ``optunahub``, and formatted as the registry's lint wants. README.md and
example.py are written by hand, here; images/ are drawn by hub/figures.py; LICENSE is the
project's.

    python hub/generate.py            # (re)write the generated files
    python hub/generate.py --check    # fail if they differ, then run the registry's checks

The checks are the registry's CI (ruff, ruff format, mypy, mdformat with its MyST plugin, the
README front matter), run on hub/package with the registry's settings (hub/pyproject.toml).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
from pathlib import Path
import re
import subprocess
import sys

import yaml


HUB = Path(__file__).resolve().parent
ROOT = HUB.parent
PACKAGES_DIR = HUB / "package"
CONFIG = HUB / "pyproject.toml"
HAND_WRITTEN = ("README.md", "example.py")
TAGS = {"samplers": "sampler", "pruners": "pruner"}
FRONT_MATTER = ("author", "title", "description", "tags", "optuna_versions", "license")


@dataclasses.dataclass(frozen=True)
class Package:
    name: str  # "<category>/<name>", as optunahub.load_module takes it
    module: str  # the optunas module that holds the code, e.g. "samplers/_evolution"
    exports: tuple[str, ...]
    requirements: tuple[str, ...]


PACKAGES = (
    Package(
        "samplers/regularized_evolution",
        "samplers/_evolution",
        ("EvolutionSampler",),
        ("optuna>=5.0", "numpy"),
    ),
    Package(
        "samplers/reinforce",
        "samplers/_reinforce",
        ("ReinforceSampler",),
        ("optuna>=5.0", "numpy", "torch"),
    ),
    Package(
        "pruners/learning_curve",
        "pruners/_learning_curve",
        ("LearningCurvePruner",),
        ("optuna>=5.0", "numpy", "scipy"),
    ),
    Package(
        "pruners/performance_predictor",
        "pruners/_predictor",
        ("PredictorPruner",),
        ("optuna>=5.0", "numpy", "scipy"),
    ),
)
#: Which package a docstring example should load each exported name from.
HOME = {name: p.name for p in PACKAGES for name in p.exports}

_SIBLING_IMPORT = re.compile(r"^(\s*)from optunas\.(\w+)\.(_\w+) import", re.MULTILINE)
#: optunas._compat, the one door to Optuna's private names, which samplers and pruners may use:
#: it imports only Optuna, so every package carries it along as a sibling module.
COMPAT = "_compat"
_COMPAT_IMPORT = re.compile(
    r"^(\s*)from optunas(\._compat import| import _compat\b)", re.MULTILINE
)
_EXAMPLE_IMPORT = re.compile(r"^(\s*)>>> from optunas\.[\w.]+ import (.+)$", re.MULTILINE)
_ANY_IMPORT = re.compile(r"^\s*(>>> )?(from|import) optunas\b.*$", re.MULTILINE)


def _rewrite(text: str, category: str, source: str) -> tuple[str, list[str]]:
    """The module made self-contained, and the sources of the sibling modules it needs."""
    siblings: list[str] = []

    def sibling(m: re.Match[str]) -> str:
        if m.group(2) != category:
            raise SystemExit(f"{source}: imports optunas.{m.group(2)}, outside its package")
        siblings.append(f"optunas/{category}/{m.group(3)}.py")
        return f"{m.group(1)}from .{m.group(3)} import"

    def compat(m: re.Match[str]) -> str:
        siblings.append(f"optunas/{COMPAT}.py")
        if m.group(2).startswith("."):  # from optunas._compat import names
            return f"{m.group(1)}from .{COMPAT} import"
        return f"{m.group(1)}from . import {COMPAT}"  # from optunas import _compat

    def example(m: re.Match[str]) -> str:
        indent, names = m.group(1), [n.strip() for n in m.group(2).split(",")]
        unknown = [n for n in names if n not in HOME]
        if unknown:
            raise SystemExit(f"{source}: a docstring imports {unknown}, which no package exports")
        loads = [f'{indent}>>> {n} = optunahub.load_module("{HOME[n]}").{n}' for n in names]
        return "\n".join([f"{indent}>>> import optunahub", *loads])

    text = _SIBLING_IMPORT.sub(sibling, _COMPAT_IMPORT.sub(compat, text))
    text = _EXAMPLE_IMPORT.sub(example, text)
    left = _ANY_IMPORT.search(text)
    if left:
        raise SystemExit(f"{source}: cannot make {left.group(0).strip()!r} self-contained")
    return text, siblings


def _ruff(args: list[str], text: str, path: Path) -> str:
    command = [sys.executable, "-m", "ruff", *args, "--config", str(CONFIG)]
    command += ["--stdin-filename", str(path), "-"]
    return subprocess.run(command, input=text, capture_output=True, text=True, check=True).stdout


def _formatted(text: str, path: Path) -> str:
    """``text`` as the registry's ruff (its import order, its line length) leaves it."""
    return _ruff(["format"], _ruff(["check", "--fix-only"], text, path), path)


@functools.cache  # one run of ruff per file and process: the sources do not change meanwhile
def generated(package: Package) -> dict[str, str]:
    """Every generated file of ``package``, by its path inside the package's folder."""
    category, first = package.module.split("/")
    folder = PACKAGES_DIR / package.name
    files: dict[str, str] = {}
    todo = [f"optunas/{package.module}.py"]
    while todo:
        source = todo.pop()
        module = Path(source).name
        if module in files:
            continue
        text, siblings = _rewrite((ROOT / source).read_text(), category, source)
        header = f"# Generated from optunas's {source} by hub/generate.py: edit that file.\n"
        files[module] = _formatted(header + text, folder / module)
        todo += siblings
    init = f"from .{first} import {', '.join(package.exports)}\n\n\n__all__ = {list(package.exports)}\n"
    files["__init__.py"] = _formatted(init, folder / "__init__.py")
    files["requirements.txt"] = "".join(f"{r}\n" for r in package.requirements)
    files["LICENSE"] = (ROOT / "LICENSE").read_text()
    return files


def _kept(relative: str) -> bool:
    return relative in HAND_WRITTEN or relative.startswith("images/")


def _present(folder: Path) -> set[str]:
    skip = ("__pycache__", ".mypy_cache", ".ruff_cache")
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not any(part in skip for part in p.parts)
    }


def differences() -> list[str]:
    """What differs between the committed folders and what this script writes."""
    problems = []
    for package in PACKAGES:
        folder = PACKAGES_DIR / package.name
        files = generated(package)
        present = _present(folder) if folder.is_dir() else set()
        for relative, text in sorted(files.items()):
            path = folder / relative
            if relative not in present or path.read_text() != text:
                problems.append(f"{package.name}/{relative} is not what generate.py writes")
        for relative in sorted(present - set(files)):
            if not _kept(relative):
                problems.append(f"{package.name}/{relative} is neither generated nor hand-written")
        for relative in HAND_WRITTEN:
            if relative not in present:
                problems.append(f"{package.name}/{relative} is missing (written by hand)")
    problems += [f"{p} is not a package generate.py knows" for p in _unknown_folders()]
    return problems


def _unknown_folders() -> list[str]:
    known = {p.name for p in PACKAGES}
    found = {
        f"{c.name}/{d.name}" for c in PACKAGES_DIR.iterdir() if c.is_dir() for d in c.iterdir()
    }
    return sorted(found - known)


def front_matter_problems(readme: Path, category: str) -> list[str]:
    """The registry's header check (header_confirm.py), and its rule on the category's tag."""
    text = readme.read_text()
    parts = text.split("---\n", 2)
    if not text.startswith("---\n") or len(parts) < 3:
        return [f"{readme}: no front matter"]
    meta = yaml.safe_load(parts[1]) or {}
    problems = [f"{readme}: {k} is missing or empty" for k in FRONT_MATTER if not meta.get(k)]
    if TAGS[category] not in (meta.get("tags") or []):
        problems.append(f"{readme}: tags lack {TAGS[category]!r}")
    if re.search(r"<[a-zA-Z/!][^>]*>", parts[2]):
        problems.append(f"{readme}: HTML (the registry removes it)")
    return problems


def write() -> None:
    for package in PACKAGES:
        folder = PACKAGES_DIR / package.name
        files = generated(package)
        for relative in _present(folder) if folder.is_dir() else set():
            if relative not in files and not _kept(relative):
                (folder / relative).unlink()
        for relative, text in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text)


def _tool(command: list[str]) -> bool:
    print("$", *command[2:4], "...", flush=True)
    return subprocess.run(command, check=False, cwd=HUB).returncode == 0


def registry_checks() -> bool:
    """The registry's CI on every file of hub/package."""
    python = sorted(str(p.relative_to(HUB)) for p in PACKAGES_DIR.rglob("*.py"))
    readmes = sorted(str(p.relative_to(HUB)) for p in PACKAGES_DIR.rglob("README.md"))
    problems = [
        problem
        for package in PACKAGES
        for problem in front_matter_problems(
            PACKAGES_DIR / package.name / "README.md", package.name.split("/")[0]
        )
    ]
    print("\n".join(problems) or "front matter: ok")
    ok = not problems
    ok &= _tool([sys.executable, "-m", "ruff", "check", "--config", str(CONFIG), *python])
    ok &= _tool(
        [sys.executable, "-m", "ruff", "format", "--check", "--config", str(CONFIG), *python]
    )
    # The registry's mypy hook runs in an environment of its own, without Optuna, numpy or
    # torch: their types are Any there (ignore_missing_imports), as --no-site-packages makes them.
    ok &= _tool([sys.executable, "-m", "mypy", "--no-site-packages", "--no-incremental", *python])
    ok &= _tool([sys.executable, "-m", "mdformat", "--check", *readmes])
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the files differ; run the registry's checks"
    )
    args = parser.parse_args()
    if not args.check:
        write()
        return
    problems = differences()
    print("\n".join(problems) or "generated files: up to date")
    if problems:
        print("run `python hub/generate.py` to regenerate them")
    if not registry_checks() or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
