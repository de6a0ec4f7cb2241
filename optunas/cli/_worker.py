"""The worker's runtime: the loop that runs a study's trials until ``--n-trials``, the study's
``--until``, ``--timeout`` or a stop; reconnection after a lost database or Redis server;
Ctrl-C and SIGTERM, which close the running trial; and the report at the end. The repair of
trials a lost connection or an interruption leaves behind is :mod:`optunas.cli._recovery`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

import optuna
from optuna.trial import TrialState

from optunas._compat import optimize_logger
from optunas._metrics import n_parameters
from optunas._signals import exit_status, interrupt_name, raise_if_stopped, stoppable_trials
from optunas._storage import (
    dashboard_target,
    failure,
    is_connection_lost,
    is_storage_failure,
    stop_heartbeats,
)
from optunas.cli._config import UsageError, describe
from optunas.cli._recovery import fail_if_running, fail_stale_trials, retry_if_running
from optunas.pruners import get_pruner
from optunas.samplers import get_sampler

#: Trial states that count towards ``--until``: a trial of another worker that is still
#: running will finish, so it is counted; a failed one will be tried again, so it is not.
_COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
#: Times a worker reconnects after losing its database or Redis server (after 1, 2, 4 s)
#: before it stops; the study is left as it was, for a worker to go on later.
RECONNECTS = 3


class _BeyondQuota(Exception):
    """This worker's trial would take the study past ``--until``: another worker got there."""


def work(
    study: optuna.Study,
    objective: Any,
    config: dict[str, Any],
    args: argparse.Namespace,
    verb: str,
) -> int:
    """Run trials on ``study`` until this worker's ``--n-trials``, the study's ``--until``,
    ``--timeout`` or Ctrl-C."""
    study.sampler = get_sampler(config["sampler"], args.seed)
    study.pruner = get_pruner(config["pruner"])
    until = getattr(args, "until", None)
    fail_stale_trials(study)
    done_before = len(study.trials)
    print(
        f"{verb} study {study.study_name!r} on {args.storage} ({done_before} trial"
        f"{'s' if done_before != 1 else ''} so far): {describe(config)}.",
        flush=True,
    )
    if until is not None and _count(study) >= until:
        print(
            f"The study already has {_count(study)} finished or running trials "
            f"(--until {until}); nothing to do."
        )
        _report(study, config["objectives"].split(","), args)
        return 0
    running: list[optuna.Trial] = []
    done: list[int] = []  # trials this worker finished, across reconnections

    def tracked(trial: optuna.Trial) -> Any:
        running[:] = [trial]
        raise_if_stopped()
        if until is not None and _count(study, below=trial.number) >= until:
            # Trials are numbered atomically by the storage, so exactly one of two workers
            # racing for the last place finds the quota full: that trial is closed at once.
            trial.set_user_attr("fail_reason", f"not run: the study reached --until {until}")
            raise _BeyondQuota
        return objective(trial)

    def finished(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done.append(trial.number)
        raise_if_stopped()  # a stop whose interruption was lost ends the worker here

    callbacks: list[Any] = [finished]
    if until is not None:
        callbacks.append(optuna.study.MaxTrialsCallback(until, states=_COUNTED))
    charts = None
    if not args.no_charts:
        from optunas.dashboard import StudyCharts

        charts = StudyCharts(every=args.charts_every)
        callbacks.append(charts)
    optimize_logger().addFilter(_QuietFailures())
    with stoppable_trials():  # a scheduler's stop closes the trial as Ctrl-C does
        return _optimize(study, tracked, callbacks, charts, running, done, config, args)


def _optimize(
    study: optuna.Study,
    tracked: Any,
    callbacks: list[Any],
    charts: Any,
    running: list[optuna.Trial],
    done: list[int],
    config: dict[str, Any],
    args: argparse.Namespace,
) -> int:
    """The loop of :func:`work`: ``study.optimize`` again after each lost connection."""
    started = time.monotonic()
    attempt, done_then = 0, 0
    while args.timeout is None or time.monotonic() - started < args.timeout:
        n_trials = None if args.n_trials is None else args.n_trials - len(done)
        try:
            study.optimize(
                tracked,
                n_trials=n_trials,
                timeout=None
                if args.timeout is None
                else args.timeout - (time.monotonic() - started),
                callbacks=callbacks,
                # Optuna has no bar without a count or a time, and warns on each start instead.
                show_progress_bar=not args.no_progress
                and (n_trials is not None or args.timeout is not None),
                gc_after_trial=False,
            )
            break
        except _BeyondQuota:
            break
        except KeyboardInterrupt as exc:
            return _interrupted(study, running, exc)
        except Exception as exc:
            interrupt = _interrupt_of(exc)
            if interrupt is not None:
                # Ctrl-C inside a storage call, which raised an error of its own on the way out.
                return _interrupted(study, running, interrupt)
            if not is_storage_failure(exc):
                raise
            # The bound is on drops in a row: a worker that finished trials since the last
            # one starts counting again, so a long study survives a database restart a week.
            attempt = attempt + 1 if len(done) == done_then else 1
            done_then = len(done)
            if not is_connection_lost(exc) or attempt > RECONNECTS:
                raise UsageError(
                    f"storage {args.storage!r} failed: {failure(exc)} (the trials it holds "
                    "are kept)"
                ) from None
            wait = 2 ** (attempt - 1)
            print(
                f"Lost the connection to {args.storage} ({failure(exc)}); reconnecting in "
                f"{wait} s (attempt {attempt} of {RECONNECTS}).",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(wait)
            retry_if_running(study, running)
    if charts is not None:
        charts.refresh(study)  # the trials since the last multiple of --charts-every
    _report(study, config["objectives"].split(","), args)
    return 0


def _interrupted(
    study: optuna.Study, running: list[optuna.Trial], interrupt: KeyboardInterrupt
) -> int:
    """Close the trial of a worker stopped by Ctrl-C or SIGTERM; 130 or 143, as a shell says."""
    stop_heartbeats()  # first: a beat must not race the trial's closing
    name = interrupt_name(interrupt)
    fail_if_running(study, running, f"interrupted ({name})")
    print(
        f"\nInterrupted ({name}): the running trial was closed as FAIL. Run the same command "
        f"to resume study {study.study_name!r}.",
        file=sys.stderr,
    )
    return exit_status(interrupt)


def _interrupt_of(exc: BaseException) -> KeyboardInterrupt | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _count(study: optuna.Study, below: int | None = None) -> int:
    trials = study.get_trials(deepcopy=False, states=_COUNTED)
    return len(trials if below is None else [t for t in trials if t.number < below])


class _QuietFailures(logging.Filter):
    """Optuna logs a failed trial with its traceback; for a trial closed because the study is
    full, or a storage that failed under it, that is noise, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is _BeyondQuota:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_storage_failure(exc):
            return False  # the worker says it in one line of its own
        return True  # a stop's traceback is left out by stoppable_trials


def _report(study: optuna.Study, objectives: list[str], args: argparse.Namespace) -> None:
    states = [t.state.name for t in study.trials]
    counts = ", ".join(f"{states.count(s)} {s.lower()}" for s in sorted(set(states)))
    print(
        f"\nStudy {study.study_name!r}: {len(states)} trial{'s' if len(states) != 1 else ''} "
        f"({counts})."
    )
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = (
        [] if not completed else ([study.best_trial] if len(objectives) == 1 else study.best_trials)
    )
    if not best:
        print("No trial has completed yet.")
    for trial in best[:10]:
        values = ", ".join(f"{name} {_fmt(name, v)}" for name, v in zip(objectives, trial.values))
        print(
            f"Best architecture (trial {trial.number}): validation {values}, "
            f"{n_parameters(trial, 0):,} params\n  {trial.user_attrs.get('genotype')}"
        )
    if len(best) > 10:
        print(f"... and {len(best) - 10} more on the Pareto front.")
    folder = artifact_dir(args)
    folder_option = f" --artifact-dir {folder}" if folder else ""
    drawn = ", with a drawing of each architecture" if folder and not args.no_draw else ""
    print(
        f"Watch it in optuna-dashboard{drawn}:\n"
        f"  optunas dashboard --storage {args.storage}"
        f"{folder_option if args.artifact_dir else ''}"
    )
    print(f"  (or optuna-dashboard {dashboard_target(args.storage)}{folder_option})")


def _fmt(name: str, value: float) -> str:
    return f"{value:.4f}" if name == "accuracy" else f"{value:,.0f}"


def artifact_dir(args: argparse.Namespace) -> str | None:
    """The folder the drawings go to: ``--artifact-dir``, else beside an SQLite or journal
    file; None for a database server or Redis, which has no folder beside it."""
    from optunas.dashboard import default_artifact_dir

    return args.artifact_dir or default_artifact_dir(args.storage)
