"""``optunas export``: the found model out of a study, as files a user takes away."""

from __future__ import annotations

import argparse
from typing import Any

from optunas.cli._args import add_storage, non_negative, positive, reported
from optunas.cli._config import UsageError


def register(commands: Any) -> None:
    """Add the ``export`` sub-command to the sub-parser action ``commands``.

    Example:
        >>> import argparse
        >>> from optunas.cli._export import register
        >>> parser = argparse.ArgumentParser(prog="optunas")
        >>> register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["export", "--study-name", "s", "--out", "best", "--onnx"])
        >>> args.out, args.trial, args.onnx, args.retrain
        ('best', None, True, False)
    """

    export = commands.add_parser(
        "export",
        help="write a trial's architecture out as a standalone PyTorch file (and weights, ONNX)",
        description="Write the chosen trial (default: the best) into the folder --out: "
        "genotype.json (space, genotype, params, the study's configuration) and model.py, "
        "the network in plain PyTorch (no optunas import). --retrain trains it from scratch "
        "with the study's recipe and adds weights.pt (model.py's load_model() reads it from beside "
        "itself) and metrics.json (validation and test accuracy); --onnx adds model.onnx. A study of two objectives has a Pareto front "
        "instead of a best trial: --list-front shows it, --trial N picks one.",
    )
    export.add_argument(
        "--study-name", required=True, metavar="NAME", help="the study to export from"
    )
    add_storage(export)
    export.add_argument(
        "--out", default=None, metavar="DIR", help="folder to write (created; must not hold files)"
    )
    export.add_argument(
        "--trial",
        type=non_negative(int),
        default=None,
        metavar="N",
        help="trial number (default: the best; with two objectives one of the Pareto front)",
    )
    export.add_argument(
        "--list-front",
        action="store_true",
        help="list the Pareto front (the best trial for one objective) and write nothing",
    )
    export.add_argument(
        "--retrain",
        action="store_true",
        help="train the architecture from scratch and save weights.pt and metrics.json",
    )
    export.add_argument(
        "--epochs",
        type=positive(int),
        default=None,
        metavar="E",
        help="with --retrain: training epochs (default: the study's)",
    )
    export.add_argument(
        "--onnx", action="store_true", help="also write model.onnx (pip install 'optunas[onnx]')"
    )
    export.add_argument(
        "--seed",
        type=non_negative(int),
        default=0,
        help="the base seed the study was run with (default: 0, the command's default)",
    )
    export.add_argument("--data-root", default=None, help="folder of torchvision datasets")
    export.add_argument(
        "--download", action="store_true", help="let torchvision download a missing dataset"
    )
    export.add_argument(
        "--overwrite", action="store_true", help="replace an --out folder that holds files"
    )
    export.set_defaults(handler=reported(_export))


def _export(args: argparse.Namespace) -> int:
    import optuna

    from optunas._storage import open_existing_storage
    from optunas.export import ExportError, export_trial

    if args.epochs is not None and not args.retrain:
        raise UsageError("--epochs sets the epochs of --retrain; add --retrain")
    if args.out is None and not args.list_front:
        raise UsageError("give --out DIR, the folder to write (or --list-front)")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = open_existing_storage(args.storage, heartbeat=False)
        study = optuna.load_study(study_name=args.study_name, storage=storage)
    except KeyError:
        raise UsageError(f"no study {args.study_name!r} on {args.storage}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.list_front:
        return _list_front(study, args)

    from optunas.data import DatasetUnavailableError

    try:
        exported = export_trial(
            study,
            args.out,
            args.trial,
            retrain=args.retrain,
            epochs=args.epochs,
            onnx=args.onnx,
            seed=args.seed,
            data_root=args.data_root,
            download=args.download,
            overwrite=args.overwrite,
        )
    except (ExportError, DatasetUnavailableError) as exc:
        raise UsageError(str(exc)) from None
    trial = exported.trial
    print(
        f"Exported trial {trial.number} of study {study.study_name!r} to {exported.path}/: "
        f"{', '.join(exported.files)}"
    )
    print(f"  {trial.user_attrs.get('genotype', '')}".rstrip())
    if exported.metrics is not None:
        metrics = exported.metrics
        epochs = metrics["recipe"]["epochs"]
        print(
            f"  retrained {epochs} epoch{'s' if epochs != 1 else ''}: validation accuracy "
            f"{metrics['validation_accuracy']:.4f}, test accuracy {metrics['test_accuracy']:.4f}"
        )
    elif args.onnx:
        print("  model.onnx holds the untrained network; add --retrain for trained weights")
    return 0


def _list_front(study: Any, args: argparse.Namespace) -> int:
    from optunas.export import objective_names, pareto_front

    front = pareto_front(study)
    if not front:
        raise UsageError(f"study {study.study_name!r} has no completed trial")
    names = objective_names(study)
    kind = "Pareto front" if len(names) > 1 else "best trial"
    print(f"The {kind} of study {study.study_name!r} ({', '.join(names)}):")
    print(f"{'trial':>6}  " + "  ".join(f"{name:>12}" for name in names) + "  genotype")
    for trial in front:
        values = "  ".join(
            f"{value:12.4f}" if name == "accuracy" else f"{value:12,.6g}"
            for name, value in zip(names, trial.values)
        )
        print(f"{trial.number:>6}  {values}  {trial.user_attrs.get('genotype', trial.params)}")
    print(
        f"Export one: optunas export --study-name {study.study_name} --storage {args.storage} "
        "--out DIR --trial N"
    )
    return 0
