"""The command as Optuna users script it, in subprocesses on real storages: studies created
once with their configuration, workers anywhere, Optuna's own commands with the NAS samplers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import optuna
import pytest

from optunas._storage import open_storage

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
CHEAP = ["--epochs", "1", "--sampler", "random", "--pruner", "none"]


def optunas(*args: str, timeout: float = 300, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def _study(url: str, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=open_storage(url))


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.slow
def test_create_study_then_two_workers_until_12(storage_url, study_name) -> None:
    # The workers' sharing of the study is the point, not training: trials are looked up.
    created = optunas(
        "create-study",
        "--study-name",
        study_name,
        "--storage",
        storage_url,
        "--evaluator",
        "tabular",
        "--sampler",
        "random",
        "--pruner",
        "none",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == study_name  # as `optuna create-study` prints it
    config = _study(storage_url, study_name).user_attrs["optunas:config"]
    assert config["version"] == 1 and config["evaluator"] == "tabular"
    assert config["epochs"] == 10 and config["sampler"] == "random"

    command = [
        sys.executable,
        "-m",
        "optunas",
        "worker",
        "--study-name",
        study_name,
        "--storage",
        storage_url,
        "--until",
        "12",
        "--no-progress",
    ]
    workers = [
        subprocess.Popen(
            command + ["--seed", str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    outputs = [w.communicate(timeout=600) for w in workers]
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr
        assert "Traceback" not in stderr
    trials = _study(storage_url, study_name).trials
    assert len([t for t in trials if t.state in FINISHED]) == 12
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
    # Both workers took part, and each trial reported the recorded 10 epochs.
    assert all("Working on study" in out for out, _ in outputs)
    assert all(len(t.intermediate_values) == 10 for t in trials if t.state in FINISHED)


@pytest.mark.slow
def test_a_plain_optuna_study_is_adopted_and_keeps_its_settings(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    optuna_cli = os.path.join(os.path.dirname(sys.executable), "optuna")
    made = subprocess.run(
        [
            optuna_cli,
            "create-study",
            "--study-name",
            "plain",
            "--storage",
            url,
            "--direction",
            "maximize",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    first = optunas(
        "worker",
        "--study-name",
        "plain",
        "--storage",
        url,
        "--n-trials",
        "1",
        "--no-progress",
        "--epochs",
        "2",
        "--space",
        "chain",
        *CHEAP[2:],
    )
    assert first.returncode == 0, first.stderr
    assert "Adopted study 'plain'" in first.stdout
    # A second worker names nothing: it runs what the first recorded.
    second = optunas(
        "worker", "--study-name", "plain", "--storage", url, "--n-trials", "1", "--no-progress"
    )
    assert second.returncode == 0, second.stderr
    assert (
        "Working on study 'plain'" in second.stdout
        and "space chain, dataset mnist1d, 2 epochs" in second.stdout
    )
    trials = _study(url, "plain").trials
    assert [len(t.intermediate_values) for t in trials] == [2, 2]
    assert all(t.user_attrs["space"].startswith("Chain(") for t in trials)
    # ... and refuses what contradicts it.
    _one_line_error(
        optunas("worker", "--study-name", "plain", "--storage", url, "--epochs", "3"),
        "created with --epochs 2, not 3",
    )


def _nb201_search_space() -> str:
    from optunas.spaces import NB201

    study = optuna.create_study()
    trial = study.ask()
    NB201().suggest(trial)
    return json.dumps(
        {
            name: json.loads(optuna.distributions.distribution_to_json(dist))
            for name, dist in trial.distributions.items()
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "sampler, kwargs",
    [
        ("EvolutionSampler", {"seed": 0, "population_size": 10, "tournament_size": 3}),
        ("ReinforceSampler", {"seed": 0}),
    ],
)
def test_ask_and_tell_drive_a_study_that_learns(sampler, kwargs, tmp_path) -> None:
    """`optunas ask` and `optunas tell` with a NAS sampler named as Optuna names its own: each
    call builds a new sampler, which rebuilds its state from storage and learns.

    The 30 trials are asked the way each `optunas ask` asks (a new sampler on a fresh load of
    the study), in this process; the command itself is then checked to ask exactly what such
    a sampler asks on the same storage. Together: a loop of the commands learns, at a tenth
    of the cost of 60 processes."""
    import shutil

    from optunas import samplers as nas_samplers
    from optunas.benchmarks import load_nb201_table
    from optunas.spaces import NB201

    url = f"sqlite:///{tmp_path / 'ask.db'}"
    assert optunas("create-study", "--study-name", "s", "--storage", url).returncode == 0
    table, space, search_space = load_nb201_table(), NB201(), _nb201_search_space()
    distributions = {
        name: optuna.distributions.json_to_distribution(json.dumps(dist))
        for name, dist in json.loads(search_space).items()
    }

    def ask(storage_url: str) -> optuna.trial.Trial:
        fresh = getattr(nas_samplers, sampler)(**kwargs)
        study = optuna.load_study(study_name="s", storage=storage_url, sampler=fresh)
        return study.ask(distributions)

    values = []
    for _ in range(30):
        trial = ask(url)
        value = table.lookup(space.genotype(trial.params))["valid"]
        optuna.load_study(study_name="s", storage=url).tell(trial.number, value)
        values.append(value)
    assert sum(values[-10:]) / 10 > sum(values[:10]) / 10, values

    shutil.copy(tmp_path / "ask.db", tmp_path / "twin.db")
    expected = ask(f"sqlite:///{tmp_path / 'twin.db'}").params
    command = ["--study-name", "s", "--storage", url]
    asked = optunas(
        "ask", *command, "--sampler", sampler, "--sampler-kwargs", json.dumps(kwargs),
        "--search-space", search_space, "-f", "json",
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "ExperimentalWarning" not in asked.stderr
    trial = json.loads(asked.stdout)
    assert (trial["number"], trial["params"]) == (30, expected)
    value = table.lookup(space.genotype(trial["params"]))["valid"]
    told = optunas("tell", *command, "--trial-number", "30", "--values", str(value))
    assert told.returncode == 0, told.stderr
    assert len(_study(url, "s").get_trials(states=FINISHED)) == 31


@pytest.mark.slow
def test_optuna_commands_read_the_study(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert (
        optunas(
            "run", "--storage", url, "--study-name", "r", "--n-trials", "2", *CHEAP, "--no-progress"
        ).returncode
        == 0
    )
    for command in (["trials"], ["best-trial"], ["studies"], ["study-names"]):
        result = optunas(
            *command,
            "--storage",
            url,
            *(["--study-name", "r"] if command[0] in ("trials", "best-trial") else []),
            "-f",
            "json",
        )
        assert result.returncode == 0, (command, result.stderr)
        assert "ExperimentalWarning" not in result.stderr
        json.loads(result.stdout)
    attr = optunas(
        "study",
        "set-user-attr",
        "--storage",
        url,
        "--study-name",
        "r",
        "--key",
        "owner",
        "--value",
        "me",
    )
    assert attr.returncode == 0, attr.stderr
    assert _study(url, "r").user_attrs["owner"] == "me"
    assert optunas("delete-study", "--storage", url, "--study-name", "r").returncode == 0
    assert optuna.get_all_study_names(open_storage(url)) == []


def test_version() -> None:
    from optunas import __version__

    result = optunas("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"optunas {__version__}"


@pytest.fixture(scope="module")
def study_with_defaults(tmp_path_factory) -> str:
    """One study "s" with the default configuration, shared by the bad-input cases (none of
    which may change it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bad') / 'bad.db'}"
    assert optunas("create-study", "--study-name", "s", "--storage", url).returncode == 0
    return url


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["ask", "--study-name", "s", "--sampler", "BohbSampler"],
            ["unknown sampler 'BohbSampler'", "ReinforceSampler"],
        ),
        (
            [
                "ask",
                "--study-name",
                "s",
                "--sampler",
                "TPESampler",
                "--sampler-kwargs",
                "{seed: 0}",
            ],
            ["--sampler-kwargs is not JSON"],
        ),
        (
            ["ask", "--study-name", "s", "--sampler", "TPESampler", "--sampler-kwargs", "[0]"],
            ["must be a JSON object"],
        ),
        (
            [
                "ask",
                "--study-name",
                "s",
                "--sampler",
                "EvolutionSampler",
                "--sampler-kwargs",
                '{"sed": 0}',
            ],
            ["unexpected keyword argument 'sed'"],
        ),
        (["ask", "--study-name", "missing"], ["create-study"]),
        (["worker", "--study-name", "missing"], ["no study 'missing'", "optunas create-study"]),
        (["worker", "--study-name", "s", "--sampler", "bohb"], ["unknown sampler 'bohb'"]),
        (["worker", "--study-name", "s", "--pruner", "asha"], ["unknown pruner 'asha'"]),
        (["worker", "--study-name", "s", "--epochs", "3"], ["created with --epochs 10, not 3"]),
        (
            ["worker", "--study-name", "s", "--objectives", "params"],
            ["created with --objectives accuracy, not params"],
        ),
        (["create-study", "--study-name", "s"], ["already exists", "--skip-if-exists"]),
        (
            ["create-study", "--study-name", "m", "--direction", "minimize"],
            ["--direction minimize does not fit objectives accuracy"],
        ),
        (
            [
                "create-study",
                "--study-name",
                "m",
                "--objectives",
                "accuracy,params",
                "--directions",
                "maximize",
                "maximize",
            ],
            ["need maximize minimize"],
        ),
        (
            [
                "create-study",
                "--study-name",
                "m",
                "--objectives",
                "accuracy,params",
                "--sampler",
                "reinforce",
            ],
            ["supports one objective"],
        ),
        (
            [
                "create-study",
                "--study-name",
                "m",
                "--objectives",
                "accuracy,params",
                "--sampler",
                "cmaes",
            ],
            ["supports one objective"],
        ),
        (
            [
                "create-study",
                "--study-name",
                "m",
                "--objectives",
                "accuracy,params",
                "--pruner",
                "median",
            ],
            ["cannot prune a study of 2 objectives"],
        ),
        (
            ["create-study", "--study-name", "m", "--objectives", "accuracy,accuracy"],
            ["'accuracy' is named twice"],
        ),
        (["run", "--study-name", "m", "--seed", "-1"], ["must be 0 or more"]),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, words, study_with_defaults) -> None:
    url = study_with_defaults
    result = optunas(*args, "--storage", url)
    _one_line_error(result, *words)
    assert optuna.get_all_study_names(open_storage(url)) == ["s"]  # nothing created


def test_a_minimizing_plain_study_is_refused_before_any_trial(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'min.db'}"
    optuna.create_study(study_name="min", storage=url, direction="minimize")
    result = optunas("worker", "--study-name", "min", "--storage", url, "--n-trials", "1")
    _one_line_error(result, "directions minimize", "need maximize")
    assert _study(url, "min").trials == []


@pytest.mark.parametrize("command", ["worker", "ask", "run"])
def test_an_unreachable_database_is_one_line_within_a_bound(command) -> None:
    # Nothing listens on port 1: refused at once; the bound is the connect timeout (a command
    # that hangs past it fails the test with TimeoutExpired).
    url = "postgresql://postgres@127.0.0.1:1/test"
    result = optunas(command, "--study-name", "s", "--storage", url, timeout=60)
    _one_line_error(result, "cannot open storage")
    # Refused at once on an idle machine; on a loaded one psycopg's connect timeout may run
    # out first, which is the bound itself speaking.
    line = result.stderr.strip()
    assert "Connection refused" in line or "connection timeout expired" in line, line


def test_a_missing_driver_names_the_extra() -> None:
    # mysqlclient (what a bare mysql:// URL loads) is not among the extras: the message
    # says which URL form and which extra work.
    result = optunas("worker", "--study-name", "s", "--storage", "mysql://root@127.0.0.1/test")
    _one_line_error(result, "driver", "mysql+pymysql://", "optunas[mysql]")


def test_messages_are_true(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    first = optunas("create-study", "--study-name", "m", "--storage", url, *CHEAP)
    assert first.returncode == 0 and "Created study 'm'" in first.stderr
    assert "1 epoch," in first.stderr and "1 epochs" not in first.stderr
    again = optunas("create-study", "--study-name", "m", "--storage", url, "--skip-if-exists")
    assert (
        again.returncode == 0 and "Created" not in again.stderr and "Kept existing" in again.stderr
    )


def test_ctrl_c_during_start_up_is_exit_130_without_traceback(tmp_path) -> None:
    import signal

    db = tmp_path / "c.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "optunas",
            "run",
            "--storage",
            f"sqlite:///{db}",
            "--n-trials",
            "1",
            *CHEAP,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The storage is opened before torch and the dataset load (seconds): interrupt then, when
    # the command is surely running but no trial has started.
    deadline = time.monotonic() + 60
    while not db.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Interrupted" in stderr
    # Interrupted before any study was made: nothing half-made is left behind.
    assert optuna.get_all_study_names(open_storage(f"sqlite:///{db}")) == []


def _readme(marker: str, fence: str) -> str:
    """A block of the README or of a guide, by its name (see test_docs.doc_block)."""
    from test_docs import doc_block

    return doc_block(marker, fence)


def _bash(script: str, cwd, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"
    )
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.services
def test_readme_workers_block_runs_as_written(study_name, tmp_path) -> None:
    from conftest import service_url

    block = _readme("readme-workers", "bash")
    url = service_url("postgresql")
    assert url in block  # the README's URL is the one the tests' server answers
    lines = [
        line
        for line in block.replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    create, worker = lines
    # Smaller where it would be long: 1 epoch, 4 trials, two workers side by side.
    create = create.replace("--study-name nas", f"--study-name {study_name}").replace(
        "--epochs 10", "--epochs 1"
    )
    worker = (
        worker.replace("--study-name nas", f"--study-name {study_name}").replace(
            "--until 100", "--until 4"
        )
        + " --no-progress"
    )
    result = _bash(f"{create}\n({worker}) & ({worker}) & wait", tmp_path)
    assert result.returncode == 0, result.stderr
    study = _study(url, study_name)
    assert len([t for t in study.trials if t.state in FINISHED]) == 4
    config = study.user_attrs["optunas:config"]
    assert (config["sampler"], config["pruner"], config["space"]) == ("evolution", "curve", "nb201")


@pytest.mark.slow
def test_readme_ask_tell_loop_runs_as_written(tmp_path) -> None:
    (tmp_path / "train.py").write_text(_readme("train-script", "python"))
    loop = _readme("ask-tell", "bash").replace("$(seq 20)", "$(seq 2)")
    result = _bash(loop, tmp_path)
    assert result.returncode == 0, result.stderr
    trials = _study(f"sqlite:///{tmp_path / 'loop.db'}", "loop").trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert all(0 < t.value <= 1 for t in trials)
    assert '"number"' in result.stdout or "number" in result.stdout  # best-trial's table


@pytest.mark.services
def test_readme_storage_urls_work_as_written(tmp_path) -> None:
    import re
    from pathlib import Path

    from conftest import service_url

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = text[text.index("<!-- readme-storages -->") :].split("\n\n")[0]
    urls = re.findall(r"\| `([a-z+]+:[^`]+)` \|$", table, re.M)
    assert len(urls) == 4, urls
    for url in urls:
        for name in ("postgresql", "mysql", "redis"):
            if url.startswith(name):
                service_url(name)  # skipped, or failed under CI, when the server is down
        name = f"readme-{os.getpid()}-{urls.index(url)}-{time.time_ns()}"
        made = optunas("create-study", "--study-name", name, "--storage", url, *CHEAP, cwd=tmp_path)
        assert made.returncode == 0, (url, made.stderr)
        # The same URL through Optuna's commands: the study is there, with its configuration.
        listed = optunas("studies", "--storage", url, "-f", "json", cwd=tmp_path)
        assert listed.returncode == 0, (url, listed.stderr)
        (study,) = [s for s in json.loads(listed.stdout) if s["name"] == name]
        assert study["user_attrs"]["optunas:config"]["epochs"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "journal", "postgresql"])
def test_a_supernet_study_on_any_storage(kind, study_name, tmp_path) -> None:
    """`optunas run --evaluator supernet` pretrains once, scores trials with inherited
    weights; a worker on the same study reuses the recorded checkpoint; retrain trains the
    best standalone beside its estimate."""
    from conftest import service_url

    storage_url = {
        "sqlite": f"sqlite:///{tmp_path / 's.db'}",
        "journal": f"journal:{tmp_path / 's.log'}",
    }.get(kind) or service_url(kind)
    checkpoint = tmp_path / "supernet.pt"
    first = optunas(
        "run",
        "--evaluator",
        "supernet",
        "--study-name",
        study_name,
        "--storage",
        storage_url,
        "--checkpoint",
        str(checkpoint),
        "--n-trials",
        "3",
        "--epochs",
        "1",
        "--sampler",
        "random",
        "--no-progress",
    )
    assert first.returncode == 0, first.stderr
    assert "supernet (one-shot), 1 pretraining epoch," in first.stdout
    worker = optunas(
        "worker",
        "--study-name",
        study_name,
        "--storage",
        storage_url,
        "--n-trials",
        "2",
        "--no-progress",
    )
    assert worker.returncode == 0, worker.stderr
    trials = _study(storage_url, study_name).get_trials(states=FINISHED)
    assert len(trials) == 5
    assert {t.user_attrs["value_kind"] for t in trials} == {"supernet_estimate"}
    assert {t.user_attrs["supernet_checkpoint"] for t in trials} == {str(checkpoint)}
    assert {t.user_attrs["supernet_epoch"] for t in trials} == {1}  # pretrained once
    retrained = optunas(
        "retrain",
        "--study-name",
        study_name,
        "--storage",
        storage_url,
        "--top-k",
        "1",
        "--epochs",
        "1",
    )
    assert retrained.returncode == 0, retrained.stderr
    assert "Retrained 1 architecture of" in retrained.stdout


def _without_omp(**env: str) -> dict[str, str]:
    """The environment without the suite's OMP_NUM_THREADS=1 (conftest.py), plus ``env``."""
    return {**{k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}, **env}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "option", "threads"),
    [
        ({}, [], 1),  # not torch's default of a thread per core, which workers side by side share
        ({}, ["--threads", "2"], 2),
        (
            {"OMP_NUM_THREADS": "2"},
            [],
            2,
        ),  # a user's setting is obeyed (torch caps it at the cores)
    ],
)
def test_the_threads_of_a_worker_reach_torch(env, option, threads, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "optunas", "run", "--storage", f"sqlite:///{tmp_path / 't.db'}"]
        + ["--n-trials", "1", "--no-progress", "--no-charts", "--no-draw", *CHEAP, *option],
        capture_output=True,
        text=True,
        timeout=300,
        env=_without_omp(**env),
    )
    assert result.returncode == 0, result.stderr
    # The count torch reports after the command set it, not the option echoed.
    said = [line for line in result.stdout.splitlines() if line.startswith("Training on ")]
    assert said == [f"Training on {threads} torch thread{'s' if threads > 1 else ''} (--threads)."]


def test_a_worker_prints_no_warning_of_optuna(tmp_path) -> None:
    from optunas.cli import main

    url = f"journal:{tmp_path / 'w.log'}"
    tabular = ["--evaluator", "tabular", "--sampler", "random", "--pruner", "none"]
    assert main(["create-study", "--study-name", "w", "--storage", url, *tabular]) == 0
    # With the progress bar on: Optuna has none to show without a count, and said so.
    result = optunas("worker", "--study-name", "w", "--storage", url, "--until", "3")
    assert result.returncode == 0, result.stderr
    assert "Progress bar" not in result.stderr and "Warning" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "command", [["worker"], ["retrain"], ["export", "--list-front"]], ids=lambda c: c[0]
)
def test_a_study_on_a_missing_sqlite_file_leaves_no_file(command, tmp_path) -> None:
    db = tmp_path / "typo.db"
    result = optunas(*command, "--study-name", "s", "--storage", f"sqlite:///{db}")
    assert list(tmp_path.iterdir()) == []  # no empty database left for the next typo to find
    _one_line_error(result, "no file", str(db))


def test_the_dashboard_on_a_missing_sqlite_file_leaves_no_file(tmp_path) -> None:
    db = tmp_path / "typo.db"
    result = optunas("dashboard", "--storage", f"sqlite:///{db}", "--port", "1", timeout=60)
    assert list(tmp_path.iterdir()) == []  # neither a database nor an artifact folder
    _one_line_error(result, "no file", str(db))


@pytest.mark.services
def test_a_worker_on_a_database_server_says_how_to_draw(study_name, tmp_path) -> None:
    from conftest import service_url

    url = service_url("postgresql")
    common = ["--study-name", study_name, "--storage", url, "--no-progress", "--no-charts"]
    first = optunas("run", *common, "--n-trials", "2", *CHEAP)
    assert first.returncode == 0, first.stderr
    warnings = [line for line in first.stderr.splitlines() if "not drawn" in line]
    assert len(warnings) == 1 and "--artifact-dir" in warnings[0], first.stderr
    assert "with a drawing" not in first.stdout
    drawings = tmp_path / "drawings"
    second = optunas("worker", *common, "--n-trials", "1", "--artifact-dir", str(drawings))
    assert second.returncode == 0, second.stderr
    assert "not drawn" not in second.stderr and "with a drawing" in second.stdout
    assert f"--artifact-dir {drawings}" in second.stdout
    assert list(drawings.iterdir())  # the third trial's drawing
