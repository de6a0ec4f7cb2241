"""``optunas darts``: one differentiable search, recorded as a trial of a study."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from optunas._compat import optimize_logger
from optunas._names import DATASETS, GUARDS, SPACES
from optunas._signals import sigterm_as_interrupt
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
    """Add the ``darts`` sub-command to the sub-parser action ``commands``.

    Example:
        >>> import argparse
        >>> from optunas.cli._darts import register
        >>> parser = argparse.ArgumentParser(prog="optunas")
        >>> register(parser.add_subparsers(dest="command"))
        >>> args = parser.parse_args(["darts", "--study-name", "s", "--order", "2"])
        >>> args.order, args.guard, args.storage_default  # unless --storage or $OPTUNA_STORAGE
        (2, 'pt', 'sqlite:///optunas.db')
    """
    darts = commands.add_parser(
        "darts",
        help="differentiable search (DARTS), recorded as a trial of a study",
        description="Run DARTS on the NB201 cell space or on the ops of a chain's layers "
        "(--space chain; depth, widths, kernels, activations and skips fixed): weights and "
        "architecture weights trained in turn on two halves of the training split, the "
        "strongest op of each edge or layer position derived. The "
        "run is one trial of the study: each epoch's derived cell scored with the supernet's "
        "weights as intermediate values, the alphas as user attrs, the derived cell as the "
        "trial's params (so `optunas retrain` trains it standalone). With --checkpoint a killed "
        "run resumes where it stopped.",
    )
    darts.add_argument("--study-name", required=True, help="study to record the run in")
    add_storage(darts)
    darts.add_argument(
        "--space",
        type=choice("space", SPACES),
        default="nb201",
        help="nb201: the cell's op per edge; chain: the op of each layer position, the other "
        "choices fixed (default: nb201)",
    )
    darts.add_argument(
        "--channels",
        type=positive(int),
        default=16,
        help="width of the cells (nb201), or of the stem and every widening layer (chain) "
        "(default: 16)",
    )
    darts.add_argument(
        "--layers",
        type=positive(int),
        default=None,
        help="chain only: layer positions, each with kernel 3, relu and no skips (default: 4)",
    )
    darts.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=1,
        help="1: first-order; 2: the paper's second-order approximation (default: 1)",
    )
    darts.add_argument(
        "--epochs", type=positive(int), default=50, help="search epochs (default: 50)"
    )
    darts.add_argument(
        "--guard",
        choices=GUARDS,
        default="pt",
        help="guard against collapse and seed variance (default: pt, perturbation-based "
        "selection; see the README)",
    )
    darts.add_argument(
        "--guard-strength",
        type=non_negative(float),
        default=None,
        help="averaged share of epochs (average) or initial auxiliary skip (dartsminus)",
    )
    darts.add_argument(
        "--arch-lr",
        type=positive(float),
        default=1e-2,
        help="learning rate of the alphas (default: 1e-2)",
    )
    darts.add_argument(
        "--lr", type=positive(float), default=0.025, help="learning rate of the weights"
    )
    darts.add_argument(
        "--batch-size", type=positive(int), default=64, help="minibatch size (default: 64)"
    )
    darts.add_argument(
        "--dataset",
        type=choice("dataset", DATASETS),
        default="mnist1d",
        help=f"dataset: {', '.join(DATASETS)} (default: mnist1d)",
    )
    darts.add_argument(
        "--num-samples",
        type=positive(int),
        default=None,
        help="signals to generate (mnist1d only; default: the dataset's)",
    )
    darts.add_argument(
        "--checkpoint", default=None, help="file of the search's state; resumes when present"
    )
    darts.add_argument("--seed", type=non_negative(int), default=0, help="seed (default: 0)")
    darts.add_argument("--data-root", default=None, help="folder of torchvision datasets")
    darts.add_argument(
        "--download", action="store_true", help="let torchvision download a missing dataset"
    )
    darts.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_threads_option(darts)
    darts.set_defaults(handler=reported(_darts))


class _QuietFailure(logging.Filter):
    """Optuna logs a failed trial with its traceback; the command says why in one line, and
    Ctrl-C needs no saying."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.exc_info and isinstance(record.exc_info[1], (ValueError, KeyboardInterrupt))
        )


def _darts(args: argparse.Namespace) -> int:
    if args.num_samples is not None and args.dataset != "mnist1d":
        raise UsageError("--num-samples applies to mnist1d only")
    if args.space != "chain" and args.layers is not None:
        raise UsageError("--layers applies to --space chain only")
    import optuna

    from optunas._storage import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = open_storage(args.storage)
    except (ValueError, ImportError) as exc:
        raise UsageError(str(exc)) from None

    # Imported here so that bad input answers without loading torch.
    from optunas.data import DatasetUnavailableError, load_dataset
    from optunas.evaluation import DartsResult, DartsSearch
    from optunas.spaces import NB201, Chain

    use_threads(args.threads)
    options = {} if args.num_samples is None else {"num_samples": args.num_samples}
    try:
        dataset = load_dataset(
            args.dataset,
            root=args.data_root,
            download=args.download,
            seed=args.seed,
            **options,
        )
        space = (
            NB201(channels=args.channels)
            if args.space == "nb201"
            else Chain(
                max_layers=args.layers or 4, widths=(args.channels,), stem_width=args.channels
            )
        )
        search = DartsSearch(
            space,
            dataset,
            epochs=args.epochs,
            order=args.order,
            batch_size=args.batch_size,
            lr=args.lr,
            arch_lr=args.arch_lr,
            guard=args.guard,
            guard_strength=args.guard_strength,
            checkpoint=args.checkpoint,
            seed=args.seed,
        )
        search.load()  # a checkpoint of another setting is refused before a trial exists
    except (ValueError, DatasetUnavailableError) as exc:
        raise UsageError(str(exc)) from None
    study = optuna.create_study(
        study_name=args.study_name,
        storage=storage,
        direction="maximize",
        load_if_exists=True,
        pruner=optuna.pruners.NopPruner(),  # a search is one trial: it runs to its end
    )
    if study.directions != [optuna.study.StudyDirection.MAXIMIZE]:
        raise UsageError(f"study {args.study_name!r} does not maximise one value")
    results: list[tuple[int, DartsResult]] = []

    def objective(trial: optuna.Trial) -> float:
        results.append((trial.number, search.run(trial, show_progress_bar=not args.no_progress)))
        return results[-1][1].value

    # Run by ``optimize`` as a worker's trial is: it beats, so a killed run is failed by the
    # next worker instead of staying RUNNING (Optuna warns of a heartbeat used with ``ask``).
    # Ctrl-C, SIGTERM, a mismatched checkpoint or a divergence close it as FAIL.
    failures = optimize_logger()
    quiet = _QuietFailure()
    failures.addFilter(quiet)
    try:
        with sigterm_as_interrupt():
            study.optimize(objective, n_trials=1, gc_after_trial=False)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    finally:
        failures.removeFilter(quiet)
    ((number, result),) = results
    print(
        f"Trial {number} of {args.study_name!r}: {result.genotype} "
        f"(validation {result.value:.4f} with the supernet's weights)"
    )
    return 0
