"""``optunas retrain``: train the best architectures of a study standalone, beside their
estimates; ``optunas supernet pretrain``: the one-shot phase of weight sharing on its own."""

from __future__ import annotations

import argparse
from typing import Any

from optunas._names import SPACES
from optunas._signals import sigterm_as_interrupt, stoppable_trials
from optunas.cli._args import (
    add_storage,
    add_threads_option,
    choice,
    non_negative,
    positive,
    reported,
)
from optunas.cli._config import UsageError
from optunas.cli._threads import use_threads


def register(commands: Any) -> None:
    """Add the ``retrain`` and ``supernet pretrain`` sub-commands to the sub-parser action
    ``commands``.

    Example:
        >>> import argparse
        >>> from optunas.cli._supernet import register
        >>> parser = argparse.ArgumentParser(prog="optunas")
        >>> register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["retrain", "--study-name", "search", "--top-k", "3"])
        >>> args.top_k, args.storage_default, callable(args.handler)
        (3, 'sqlite:///optunas.db', True)
    """
    retrain = commands.add_parser(
        "retrain",
        help="train a study's best architectures standalone, beside their estimates",
        description="Train the top K architectures of a study (ranked by its first value, e.g. "
        "a supernet estimate) from scratch, each a trial of a second study named "
        "STUDY:retrain on the same storage, and print estimate and standalone accuracy side by "
        "side. Run it again to train only what is not retrained yet.",
    )
    retrain.add_argument("--study-name", required=True, help="the study whose best to retrain")
    add_storage(retrain)
    retrain.add_argument(
        "--top-k",
        type=positive(int),
        default=5,
        help="how many architectures to retrain (default: 5)",
    )
    retrain.add_argument(
        "--epochs", type=positive(int), default=10, help="training epochs of each (default: 10)"
    )
    retrain.add_argument(
        "--dataset", default=None, help="dataset name (default: the one the study records)"
    )
    retrain.add_argument(
        "--retrain-study-name",
        default=None,
        help="name of the second study (default: STUDY:retrain)",
    )
    retrain.add_argument(
        "--seed", type=non_negative(int), default=0, help="seed of the training (default: 0)"
    )
    retrain.add_argument("--data-root", default=None, help="folder of torchvision datasets")
    retrain.add_argument(
        "--download", action="store_true", help="let torchvision download a missing dataset"
    )
    add_threads_option(retrain)
    retrain.set_defaults(handler=reported(_retrain))

    supernet = commands.add_parser(
        "supernet",
        help="weight sharing: pretrain a supernet",
        description="Commands of the supernet that one-shot searches score candidates with.",
    )
    actions = supernet.add_subparsers(dest="supernet_command", required=True)
    pretrain = actions.add_parser(
        "pretrain",
        help="train a supernet's shared weights on uniformly sampled paths",
        description="Train the supernet of a space on paths drawn each step, saving the "
        "checkpoint after every epoch; run it again to resume where it stopped. Several "
        "processes on one checkpoint take turns an epoch at a time.",
    )
    pretrain.add_argument(
        "--checkpoint",
        default="optunas-supernet.pt",
        help="file of the shared weights (default: optunas-supernet.pt)",
    )
    pretrain.add_argument(
        "--space",
        type=choice("space", SPACES),
        default="nb201",
        help="search space (default: nb201)",
    )
    pretrain.add_argument("--dataset", default="mnist1d", help="dataset name (default: mnist1d)")
    pretrain.add_argument(
        "--epochs", type=positive(int), default=50, help="pretraining epochs (default: 50)"
    )
    pretrain.add_argument(
        "--sampling",
        choices=("uniform", "fair"),
        default="uniform",
        help="one path per step, or every op of every edge (default: uniform)",
    )
    pretrain.add_argument(
        "--train-none",
        action="store_true",
        help="let pretraining draw NB201's none op too (by default it is left out)",
    )
    pretrain.add_argument(
        "--batch-size", type=positive(int), default=128, help="minibatch size (default: 128)"
    )
    pretrain.add_argument(
        "--lr", type=positive(float), default=0.01, help="peak learning rate (default: 0.01)"
    )
    pretrain.add_argument("--seed", type=non_negative(int), default=0, help="seed (default: 0)")
    pretrain.add_argument("--data-root", default=None, help="folder of torchvision datasets")
    pretrain.add_argument(
        "--download", action="store_true", help="let torchvision download a missing dataset"
    )
    pretrain.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_threads_option(pretrain)
    pretrain.set_defaults(handler=reported(_pretrain), command_name="supernet pretrain")


def _pretrain(args: argparse.Namespace) -> int:
    from optunas.data import DatasetUnavailableError
    from optunas.evaluation import SupernetObjective

    use_threads(args.threads)
    try:
        objective = SupernetObjective(
            args.space,
            args.dataset,
            checkpoint=args.checkpoint,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            sampling=args.sampling,
            train_none=args.train_none,
            seed=args.seed,
            data_root=args.data_root,
            download=args.download,
        )
        # A scheduler's stop ends it as Ctrl-C does: the last whole epoch's checkpoint stays.
        with sigterm_as_interrupt():
            history = objective.pretrain(show_progress_bar=not args.no_progress)
    except (ValueError, DatasetUnavailableError) as exc:
        # CheckpointMismatchError included: the file belongs to another space or dataset.
        raise UsageError(str(exc)) from None
    for record in history:
        print(
            f"epoch {record['epoch']:.0f}: loss {record['loss']:.4f}, train accuracy "
            f"{record['train_accuracy']:.4f}, {record['seconds']:.1f} s"
        )
    print(
        f"Supernet checkpoint {objective.checkpoint}: {objective.epoch} epochs, "
        f"{objective.step} steps."
    )
    return 0


def _retrain(args: argparse.Namespace) -> int:
    import optuna

    from optunas._storage import open_existing_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = open_existing_storage(args.storage)
        study = optuna.load_study(study_name=args.study_name, storage=storage)
    except KeyError:
        raise UsageError(f"no study {args.study_name!r} in {args.storage}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        raise UsageError(f"study {args.study_name!r} has no completed trial to retrain")

    # Imported here so that bad input answers without loading torch.
    from optunas.data import DatasetUnavailableError
    from optunas.evaluation import n_parameters, retrain_top

    use_threads(args.threads)
    try:
        # A scheduler's stop closes the running retraining as FAIL, as Ctrl-C does, and the
        # same command later trains what is left.
        with stoppable_trials():
            retrained = retrain_top(
                study,
                args.top_k,
                dataset=args.dataset,
                epochs=args.epochs,
                study_name=args.retrain_study_name,
                seed=args.seed,
                data_root=args.data_root,
                download=args.download,
            )
    except (ValueError, DatasetUnavailableError) as exc:
        raise UsageError(str(exc)) from None
    rows = [t for t in retrained.trials if t.state == optuna.trial.TrialState.COMPLETE]
    rows.sort(key=lambda t: -t.user_attrs.get("estimate", float("-inf")))
    print(
        f"Retrained {len(rows)} architecture{'s' if len(rows) != 1 else ''} of "
        f"{study.study_name!r} in study {retrained.study_name!r} ({args.epochs} "
        f"epoch{'s' if args.epochs != 1 else ''} each):"
    )
    print(f"{'estimate':>9} {'standalone':>10} {'params':>9}  genotype")
    for trial in rows:
        print(
            f"{trial.user_attrs.get('estimate', float('nan')):9.4f} {trial.value:10.4f} "
            f"{n_parameters(trial, 0):9,}  {trial.user_attrs.get('genotype')}"
        )
    return 0
