"""``optunas create-study``, ``worker`` and ``run``: a study that records its NAS
configuration, and the objective each worker builds from it (the loop that runs the trials is
:mod:`optunas.cli._worker`).

Example:
    >>> import argparse
    >>> from optunas.cli._args import CommandParser
    >>> from optunas.cli._study import register
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers(dest="command", parser_class=CommandParser))
    >>> parser.parse_args(["worker", "--study-name", "s", "--until", "50"]).until
    50
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import optuna

from optunas._metrics import name_metrics
from optunas._names import DEFAULT_STORAGE
from optunas._storage import open_existing_storage, open_storage
from optunas.cli._args import add_settings, add_storage, add_work_options, positive, reported
from optunas.cli._config import (
    STUDY_SETTINGS,
    Direction,
    UsageError,
    check_directions,
    describe,
    directions,
    record,
    resolve,
    stored_config,
)
from optunas.cli._threads import say_threads, use_threads
from optunas.cli._worker import artifact_dir, work


def register(commands: Any) -> None:
    """Add ``create-study``, ``worker`` and ``run`` to the sub-parser action ``commands``."""
    create = commands.add_parser(
        "create-study",
        help="create a study that records its NAS configuration (Optuna's options too)",
        description="Create a study and record its configuration (space, dataset, epochs, "
        "objectives, evaluator, training recipe, sampler, pruner) in its user attrs, so "
        "`optunas worker` runs it the same way on any machine. Prints the study name, as "
        "`optuna create-study` does. Unlike optuna's, it makes a NAS study: without "
        f"--storage or OPTUNA_STORAGE it uses {DEFAULT_STORAGE} (optuna refuses), without "
        "--study-name it names it optunas-SPACE-DATASET (optuna makes a new no-name-UUID "
        "each time), and its direction is what --objectives need (a --direction that "
        "contradicts them is refused).",
    )
    add_storage(create)
    create.add_argument(
        "--study-name", default=None, help="study to create (default: optunas-SPACE-DATASET)"
    )
    create.add_argument(
        "--direction",
        choices=("minimize", "maximize"),
        default=None,
        help="Optuna's option; it must agree with --objectives",
    )
    create.add_argument(
        "--directions",
        choices=("minimize", "maximize"),
        nargs="+",
        default=None,
        help="Optuna's option; it must agree with --objectives",
    )
    create.add_argument(
        "--skip-if-exists",
        action="store_true",
        help="an existing study of that name is no error (if its configuration agrees)",
    )
    add_settings(create)
    create.set_defaults(handler=reported(_create_study))

    worker = commands.add_parser(
        "worker",
        help="run trials of an existing study with its recorded configuration",
        description="Run trials of a study with the configuration it recorded, on any "
        "machine that reaches its storage; start as many workers as you like. Options "
        "given for settings the study has not recorded (a study made by `optuna "
        "create-study`) are recorded; options that contradict it are refused. Ctrl-C or "
        "SIGTERM closes the running trial as FAIL (exit status 130 or 143); the same command "
        "resumes.",
    )
    add_storage(worker, required=True)
    worker.add_argument("--study-name", required=True, help="the study to work on")
    worker.add_argument(
        "--until",
        type=positive(int),
        default=None,
        help="stop when the study as a whole has this many finished trials "
        "(counted across all workers)",
    )
    add_work_options(worker, "trials this worker runs (default: no limit; see --until)")
    add_settings(worker)
    worker.set_defaults(handler=reported(_worker))

    run = commands.add_parser(
        "run",
        help="create or resume a study and search for an architecture",
        description="Create a study (or resume one of the same name) and add trials, each a "
        "network trained on the dataset: create-study and worker in one process. The "
        "configuration is stored in the study; a resumed run takes it from there. Ctrl-C or "
        "SIGTERM closes the running trial as FAIL (exit status 130 or 143).",
    )
    add_storage(run)
    run.add_argument(
        "--study-name",
        default=None,
        help="study to create or resume (default: optunas-SPACE-DATASET)",
    )
    add_work_options(
        run, "trials to add in this run (default: 20, or unlimited when --timeout is given)"
    )
    add_settings(run)
    run.set_defaults(handler=reported(_run))


def _default_name(args: argparse.Namespace) -> str:
    return args.study_name or (
        f"optunas-{args.space or STUDY_SETTINGS['space']}-"
        f"{args.dataset or STUDY_SETTINGS['dataset']}"
    )


def _open(url: str, existing: bool = False) -> optuna.storages.BaseStorage:
    """The storage at ``url``; with ``existing``, for a command that reads a study, one that
    is not there yet is an error (as a missing SQLite file), not created."""
    try:
        return open_existing_storage(url) if existing else open_storage(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _load(storage: optuna.storages.BaseStorage, name: str, url: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None
    except Exception as exc:  # a reachable URL whose server refuses us mid-way
        raise UsageError(
            f"cannot read storage {url!r}: {str(exc).strip().splitlines()[0]}"
        ) from None


def _create_or_load(
    storage: optuna.storages.BaseStorage,
    name: str,
    config: dict[str, Any],
    wanted: list[Direction] | None = None,
) -> tuple[optuna.Study, bool]:
    """The study of that name, created with the objectives' directions if it does not exist
    (by this process: another worker may win the race, which is no error)."""
    try:
        study = optuna.create_study(
            storage=storage, study_name=name, directions=wanted or directions(config)
        )
    except optuna.exceptions.DuplicatedStudyError:
        return optuna.load_study(study_name=name, storage=storage), False
    # Named at once, so the dashboard says "validation accuracy" before the first trial ends.
    name_metrics(study, config["objectives"].split(","))
    return study, True


def _create_study(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.direction and args.directions:
        raise UsageError("give --direction or --directions, not both")
    storage = _open(args.storage)
    name = _default_name(args)
    existing = _load(storage, name, args.storage)
    if existing is not None and not args.skip_if_exists:
        raise UsageError(
            f"study {name!r} already exists on {args.storage}; run `optunas worker "
            f"--study-name {name} --storage {args.storage}`, or pass --skip-if-exists"
        )
    config = resolve(args, existing)
    wanted = directions(config)
    given = args.directions or ([args.direction] if args.direction else None)
    if given is not None and given != wanted:
        raise UsageError(
            f"--direction{'s' if len(given) > 1 else ''} {' '.join(given)} does not fit "
            f"objectives {config['objectives']}, which need {' '.join(wanted)}; leave the "
            "direction out and optunas sets it"
        )
    study, created = _create_or_load(storage, name, config)
    check_directions(study, config)
    record(study, config)
    print(name)
    if not args.quiet:
        print(
            f"{'Created' if created else 'Kept existing'} study {name!r} on {args.storage}: "
            f"{describe(config)}.",
            file=sys.stderr,
        )
    return 0


def _worker(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _open(args.storage, existing=True)
    study = _load(storage, args.study_name, args.storage)
    if study is None:
        raise UsageError(
            f"no study {args.study_name!r} on {args.storage}; create it first with "
            f"`optunas create-study --study-name {args.study_name} --storage {args.storage}`"
        )
    adopted = not stored_config(study)
    config = resolve(args, study)
    check_directions(study, config)
    objective = _objective(config, args, study)
    record(study, config)
    verb = "Adopted" if adopted else "Working on"
    return work(study, objective, config, args, verb)


def _run(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _open(args.storage)
    name = _default_name(args)
    existing = _load(storage, name, args.storage)
    config = resolve(args, existing)
    if existing is not None:
        check_directions(existing, config)
    objective = _objective(config, args, existing)
    study, created = _create_or_load(storage, name, config)
    record(study, config)
    if args.n_trials is None and args.timeout is None:
        args.n_trials = 20
    return work(study, objective, config, args, "Created" if created else "Resuming")


def _objective(
    config: dict[str, Any], args: argparse.Namespace, study: optuna.Study | None = None
) -> Any:
    # Imported here so that `optunas --help` and bad input answer without loading torch.
    from optunas.data import DatasetUnavailableError
    from optunas.evaluation import TrainObjective
    from optunas.spaces import get_space

    common = {
        "objectives": config["objectives"].split(","),
        "seed": 0 if args.seed is None else args.seed,
        "data_root": args.data_root,
        "download": args.download,
        "draw": not args.no_draw,
        "artifact_store": args.artifact_dir,
    }
    recipe = {
        "epochs": config["epochs"],
        "batch_size": config["batch_size"],
        "lr": config["lr"],
        "optimizer": config["optimizer"],
    }
    try:
        if config["evaluator"] == "tabular":
            return _tabular_objective(config)
        say_threads(use_threads(args.threads))
        _warn_if_not_drawn(args)
        if config["evaluator"] == "supernet":
            return _supernet_objective(config, args, study, {**common, **recipe})
        return TrainObjective(get_space(config["space"]), config["dataset"], **recipe, **common)
    except DatasetUnavailableError as exc:
        raise UsageError(str(exc)) from None


def _warn_if_not_drawn(args: argparse.Namespace) -> None:
    if args.no_draw or artifact_dir(args) is not None:
        return
    print(
        f"optunas {args.command}: warning: the architectures are not drawn for the dashboard: "
        f"{args.storage} has no folder beside it for them; pass --artifact-dir DIR (one that "
        "the workers and the dashboard share), or --no-draw",
        file=sys.stderr,
        flush=True,
    )


def _tabular_objective(config: dict[str, Any]) -> Any:
    from optunas.benchmarks import SETTING, TabularObjective

    table = (config["space"], config["dataset"], config["epochs"])
    if table != ("nb201", "mnist1d", SETTING.recipe.epochs):
        raise UsageError(
            "--evaluator tabular looks trials up in the NB201 x MNIST-1D table of "
            f"{SETTING.recipe.epochs} epochs; it needs --space nb201 --dataset mnist1d "
            f"--epochs {SETTING.recipe.epochs}"
        )
    return TabularObjective(objectives=config["objectives"].split(","))


def _supernet_objective(
    config: dict[str, Any],
    args: argparse.Namespace,
    study: optuna.Study | None,
    options: dict[str, Any],
) -> Any:
    """A SupernetObjective on the study's checkpoint; a one-shot supernet that is not
    pretrained to ``--epochs`` yet is pretrained first (resumably: a restart goes on)."""
    from optunas.evaluation import SupernetObjective
    from optunas.evaluation._supernet import STUDY_ATTR_CHECKPOINT
    from optunas.spaces import get_space

    recorded = None if study is None else study.user_attrs.get(STUDY_ATTR_CHECKPOINT)
    if args.checkpoint and recorded and os.path.abspath(args.checkpoint) != recorded:
        raise UsageError(f"the study's supernet checkpoint is {recorded}, not {args.checkpoint}")
    if recorded and not args.checkpoint:
        _check_recorded_checkpoint(recorded)
    checkpoint = args.checkpoint or recorded or _default_checkpoint(args)
    objective = SupernetObjective(
        get_space(config["space"]),
        config["dataset"],
        mode=config["supernet_mode"],
        checkpoint=checkpoint,
        **options,
    )
    if study is not None:
        _check_study_checkpoint(objective, study)
    if config["supernet_mode"] == "one-shot":
        print(
            f"Supernet {checkpoint}: pretraining to {config['epochs']} "
            f"epoch{'s' if config['epochs'] != 1 else ''} (it resumes "
            "where it stopped, and does nothing when it is there).",
            flush=True,
        )
        objective.pretrain(show_progress_bar=not args.no_progress)
    return objective


def _check_recorded_checkpoint(path: str) -> None:
    """A joining worker writes to the checkpoint its study records, a path that came from the
    database and not from this user's command line: write only what can be nothing but a
    supernet checkpoint (a ``.pt`` file, not a link, in a folder that exists, holding a
    checkpoint or nothing yet), never another file of this machine."""
    reason = None
    if not os.path.isabs(path) or not path.endswith(".pt"):
        reason = "not an absolute path to a .pt file"
    elif os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        reason = "a link or not a regular file"
    elif not os.path.isdir(os.path.dirname(path)):
        reason = "its folder does not exist here"
    if reason is not None:
        raise UsageError(
            f"the study records its supernet checkpoint as {path!r}, which optunas will not "
            f"write ({reason}); correct the study's user attr or start another study"
        )


def _check_study_checkpoint(objective: Any, study: optuna.Study) -> None:
    """Where the study records its checkpoint's SHA-256, the file here must be that one:
    a worker on a machine without the shared folder stops before it trains a copy of its own."""
    from optunas.evaluation import CheckpointMismatchError

    try:
        objective.check_study(study)
    except CheckpointMismatchError as exc:
        raise UsageError(str(exc)) from None


def _default_checkpoint(args: argparse.Namespace) -> str:
    from optunas.dashboard import default_artifact_dir

    # A study name becomes a file name: keep to characters that cannot leave the folder.
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in _default_name(args))
    folder = default_artifact_dir(args.storage) or "."
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"supernet-{safe.lstrip('.')}.pt")
