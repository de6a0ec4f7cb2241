"""Two `optunas worker` processes on two cores, with torch's default threads against optunas's.

torch starts a thread per core in each process, so two workers on two cores run four busy
threads; `optunas worker` trains on one unless told otherwise (`--threads`). Each setting runs
two workers side by side on a fresh journal study (standalone training of NB201 cells on
MNIST-1D, random sampler, no pruning), stopped by SIGTERM `--seconds` after the first trial
started; trials per minute are the trials both completed in that window, counted from the
storage (start-up is not counted). Settings alternate over `--rounds`, so a machine whose load
drifts weighs on both.

    python studies/worker_threads.py --seconds 120 --epochs 1 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import optuna

from optunas._storage import open_storage


def _torch_default_threads() -> int:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return int(out.stdout)


def _completed(url: str, tag: str) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(study_name=tag, storage=open_storage(url, heartbeat=False))
    return [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]


def _run(threads: list[str], seconds: float, epochs: int, folder: str, tag: str) -> float:
    """Trials per minute of two workers, over ``seconds`` from the first trial's start."""
    url = f"journal:{os.path.join(folder, f'{tag}.log')}"
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    optunas = [sys.executable, "-m", "optunas"]
    subprocess.run(
        [*optunas, "create-study", "--study-name", tag, "--storage", url, "--epochs", str(epochs)]
        + ["--sampler", "random", "--pruner", "none"],
        check=True,
        capture_output=True,
        env=env,
    )
    work = [*optunas, "worker", "--study-name", tag, "--storage", url, "--no-progress"]
    work += ["--no-charts", "--no-draw", *threads]
    workers = [
        subprocess.Popen(work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        for _ in range(2)
    ]
    storage = open_storage(url, heartbeat=False)
    while not storage.get_all_trials(storage.get_study_id_from_name(tag), deepcopy=False):
        time.sleep(0.5)  # start-up (torch, the dataset) is not counted
    time.sleep(seconds)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)  # each closes its running trial as FAIL
    for worker in workers:
        worker.wait()
    return len(_completed(url, tag)) / (seconds / 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120, help="seconds of the window")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs of a trial")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each setting")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    default = _torch_default_threads()
    settings = {
        f"torch's default ({default} threads each)": ["--threads", str(default)],
        "optunas's default (1 thread each)": [],
    }
    rates: dict[str, list[float]] = {name: [] for name in settings}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            for i, (name, threads) in enumerate(settings.items()):
                tag = f"r{round_}-s{i}"
                rates[name].append(_run(threads, args.seconds, args.epochs, folder, tag))
                print(f"{name}, round {round_ + 1}: {rates[name][-1]:.1f} trials/min", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("\n| threads per worker | trials per minute, 2 workers |\n|---|---:|")
    for name, values in rates.items():
        print(f"| {name} | {', '.join(f'{v:.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
