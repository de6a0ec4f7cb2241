"""`optunas` takes what `optuna` takes: a file path as --storage, OPTUNA_STORAGE, the options
of every command before or after its name, `help`, and one spelling of sampler and pruner
names in every command. The real command, in a subprocess, on real storages."""

from __future__ import annotations

import os
import subprocess
import sys

import optuna
import pytest

from optunas._storage import open_storage

TABULAR = ["--evaluator", "tabular"]
QUICK = ["--no-progress", "--no-charts", "--no-draw"]
SPACE = '{"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}}}'


def optunas(*args: str, env=None, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=cwd,
    )


def _without_optuna_storage() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "OPTUNA_STORAGE"}


def _one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def journal_file(tmp_path) -> str:
    path = tmp_path / "journal.log"
    path.touch()  # Optuna takes a path as a journal file when the file exists
    return str(path)


@pytest.mark.slow
def test_a_file_path_is_a_journal_file_as_with_optuna(journal_file) -> None:
    created = optunas("create-study", "--storage", journal_file, "--study-name", "s", *TABULAR)
    assert created.returncode == 0, created.stderr
    ran = optunas(
        "worker", "--storage", journal_file, "--study-name", "s", "--n-trials", "2", *QUICK
    )
    assert ran.returncode == 0, ran.stderr
    asked = optunas("ask", "--storage", journal_file, "--study-name", "s")
    assert asked.returncode == 0, asked.stderr
    # What Optuna itself reads from that file.
    backend = optuna.storages.journal.JournalFileBackend(journal_file)
    study = optuna.load_study(study_name="s", storage=optuna.storages.JournalStorage(backend))
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "RUNNING"]


def test_help_and_no_command_print_the_same_help() -> None:
    alone, helped = optunas(), optunas("help")
    assert alone.returncode == helped.returncode == 0, alone.stderr + helped.stderr
    assert alone.stdout == helped.stdout and "create-study" in alone.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_and_quiet_go_before_or_after_the_command(where, journal_file) -> None:
    def create(option: str, name: str) -> subprocess.CompletedProcess[str]:
        command = ["create-study", "--storage", journal_file, "--study-name", name]
        return optunas(*([option, *command] if where == "before" else [*command, option]))

    loud, quiet = create("--verbose", "loud"), create("-q", "quiet")
    assert loud.returncode == quiet.returncode == 0, loud.stderr + quiet.stderr
    assert "A new study created in Journal with name: loud" in loud.stderr  # Optuna's log
    assert quiet.stderr == "" and quiet.stdout == "quiet\n"


def test_log_file_and_storage_before_an_optuna_command(journal_file, tmp_path) -> None:
    log = tmp_path / "optuna.log"
    created = optunas(
        "--log-file", str(log), "-v", "create-study", "--study-name", "s", "--storage", journal_file
    )
    assert created.returncode == 0, created.stderr
    assert "A new study created in Journal with name: s" in log.read_text()
    names = optunas("--storage", journal_file, "-q", "study-names")
    assert names.returncode == 0 and names.stdout.split() == ["s"], names.stderr
    attr = optunas(
        "--quiet",
        "study",
        "set-user-attr",
        "--storage",
        journal_file,
        "--study-name",
        "s",
        "-k",
        "a",
        "--value",
        "b",
    )
    assert attr.returncode == 0, attr.stderr
    assert (
        optuna.load_study(study_name="s", storage=open_storage(journal_file)).user_attrs["a"] == "b"
    )


@pytest.mark.parametrize(
    "command",
    [["worker", "--study-name", "missing"], ["ask", "--study-name", "missing"]],
)
def test_debug_before_the_command_shows_the_traceback(command, journal_file) -> None:
    plain = optunas(*command, "--storage", journal_file)
    _one_line(plain, "missing" if command[0] == "worker" else "create-study")
    debug = optunas("--debug", *command, "--storage", journal_file)
    assert debug.returncode == 1 and "Traceback" in debug.stderr, debug.stderr


@pytest.mark.slow
def test_optuna_storage_is_the_default_storage_of_every_command(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    env = {**_without_optuna_storage(), "OPTUNA_STORAGE": url}
    steps = [
        ["create-study", "--study-name", "s", *TABULAR],
        ["worker", "--study-name", "s", "--n-trials", "1", *QUICK],
        ["run", "--study-name", "s", "--n-trials", "1", *QUICK],
        ["ask", "--study-name", "s"],
    ]
    for step in steps:
        result = optunas(*step, env=env, cwd=tmp_path)
        assert result.returncode == 0, (step, result.stderr)
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 3
    assert not (tmp_path / "optunas.db").exists()  # the default of create-study and run
    # --storage wins over the environment, as with optuna.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    given = optunas("create-study", "--study-name", "t", "--storage", other, *TABULAR, env=env)
    assert given.returncode == 0, given.stderr
    assert optuna.study.get_all_study_names(other) == ["t"]


@pytest.mark.parametrize(
    "command",
    [
        ["retrain", "--study-name", "s"],
        ["export", "--study-name", "s", "--out", "o"],
        ["export", "--study-name", "s", "--list-front"],
        ["dashboard"],
    ],
    ids=lambda c: "-".join(c[::2]),
)
def test_the_tools_read_optuna_storage_too(command, tmp_path) -> None:
    """The commands that read a study look for it where OPTUNA_STORAGE says, not in the
    default SQLite file (which they would not create either)."""
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    env = {**_without_optuna_storage(), "OPTUNA_STORAGE": url}
    result = optunas(*command, env=env, cwd=tmp_path)
    _one_line(result, url)
    assert not (tmp_path / "optunas.db").exists() and not (tmp_path / "elsewhere.db").exists()


def test_a_worker_without_any_storage_says_so(tmp_path) -> None:
    result = optunas("worker", "--study-name", "s", env=_without_optuna_storage(), cwd=tmp_path)
    _one_line(result, "--storage", "OPTUNA_STORAGE")


@pytest.mark.slow
# Each spelling of each name once: the sampler's and the pruner's are resolved apart.
@pytest.mark.parametrize(
    "sampler, pruner", [("evolution", "MedianPruner"), ("EvolutionSampler", "median")]
)
def test_either_spelling_of_a_name_works_in_every_study_command(sampler, pruner, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'names.db'}"
    options = ["--storage", url, "--sampler", sampler, "--pruner", pruner]
    created = optunas("create-study", "--study-name", "s", *options, *TABULAR)
    assert created.returncode == 0, created.stderr
    worker = optunas("worker", "--study-name", "s", *options, "--n-trials", "1", *QUICK)
    assert worker.returncode == 0, worker.stderr
    run = optunas("run", "--study-name", "s", *options, "--n-trials", "1", *QUICK)
    assert run.returncode == 0, run.stderr
    study = optuna.load_study(study_name="s", storage=url)
    config = study.user_attrs["optunas:config"]
    assert (config["sampler"], config["pruner"]) == ("evolution", "median")  # one spelling kept
    assert len(study.trials) == 2


@pytest.mark.parametrize("sampler", ["evolution", "EvolutionSampler", "tpe", "TPESampler"])
def test_ask_takes_either_spelling(sampler, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ask.db'}"
    optuna.create_study(study_name="s", storage=url)
    asked = optunas(
        "ask", "--storage", url, "--study-name", "s", "--sampler", sampler, "--search-space", SPACE
    )
    assert asked.returncode == 0, asked.stderr
    assert '"x"' in asked.stdout


@pytest.mark.parametrize(
    "command, option, typo, nearest",
    [
        ("run", "--sampler", "evolutoin", "evolution"),
        ("worker", "--sampler", "EvolutionSampeler", "EvolutionSampler"),
        ("create-study", "--pruner", "medain", "median"),
        ("ask", "--sampler", "evolutoin", "evolution"),
        ("ask", "--sampler", "TPESampeler", "TPESampler"),
        ("run", "--space", "nb210", "nb201"),
    ],
)
def test_an_unknown_name_suggests_the_nearest(command, option, typo, nearest, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    result = optunas(command, "--storage", url, "--study-name", "s", option, typo)
    _one_line(result, f"unknown {option[2:]} {typo!r}", f"did you mean {nearest!r}?")
    assert not (tmp_path / "typo.db").exists()


def test_the_names_are_one_torch_free_registry() -> None:
    from optunas._names import PRUNERS, SAMPLERS
    from optunas.pruners import PRUNERS as PRUNER_FACTORIES
    from optunas.pruners import get_pruner
    from optunas.samplers import SAMPLERS as SAMPLER_FACTORIES
    from optunas.samplers import get_sampler

    assert list(SAMPLERS) == list(SAMPLER_FACTORIES) and list(PRUNERS) == list(PRUNER_FACTORIES)
    assert {n: type(get_sampler(n)).__name__ for n in SAMPLERS} == SAMPLERS
    assert {n: type(get_pruner(n)).__name__ for n in PRUNERS} == PRUNERS
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, optunas._names; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.stdout.strip() == "False", loaded.stderr


# A sampler class reachable by name, as Optuna's `ask` resolves it (an attribute of
# optuna.samplers), whose own code has a bug.
_BUGGY_SAMPLER = """
import sys

import optuna

class BuggySampler(optuna.samplers.RandomSampler):
    def sample_independent(self, study, trial, param_name, param_distribution):
        return {}["a key the sampler forgot"]

optuna.samplers.BuggySampler = BuggySampler
optuna.samplers.__all__.append("BuggySampler")
from optunas.cli import main

sys.exit(main(sys.argv[1:]))
"""


def test_a_bug_inside_a_sampler_shows_its_traceback(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'bug.db'}"
    optuna.create_study(study_name="s", storage=url)
    args = ["ask", "--storage", url, "--study-name", "s", "--search-space", SPACE]
    result = subprocess.run(
        [sys.executable, "-c", _BUGGY_SAMPLER, *args, "--sampler", "BuggySampler"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" in result.stderr and "in sample_independent" in result.stderr
    assert "KeyError: 'a key the sampler forgot'" in result.stderr


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ('{"sed": 0}', "unexpected keyword argument 'sed'"),
        ('{"tournament_size": 0}', "tournament_size"),  # refused in the constructor
        ('{"seed": 0', "--sampler-kwargs is not JSON"),
    ],
)
def test_bad_sampler_kwargs_stay_one_line(kwargs, words, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    optuna.create_study(study_name="s", storage=url)
    result = optunas(
        "ask",
        "--storage",
        url,
        "--study-name",
        "s",
        "--sampler",
        "EvolutionSampler",
        "--sampler-kwargs",
        kwargs,
        "--search-space",
        SPACE,
    )
    _one_line(result, words)
