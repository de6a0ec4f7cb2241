from __future__ import annotations

import glob
import io
import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import optuna
import pytest
import torch
from torch.utils.data import TensorDataset

from optunas.data import Dataset
from optunas.evaluation import (
    CheckpointMismatchError,
    SupernetObjective,
    load_checkpoint,
    retrain_top,
    save_checkpoint,
)
from optunas.evaluation._checkpoint import checkpoint_lock
from optunas.nn import (
    NB201_OPS,
    ChainSupernet,
    LayerSpec,
    NB201Network,
    NB201Supernet,
    count_flops,
    count_params,
)
from optunas.spaces import NB201, Chain, NB201Genotype

CONV = NB201Genotype(("nor_conv_3x3",) * 6)
NONE = NB201Genotype(("none",) * 6)
MIXED = NB201Genotype(
    ("nor_conv_1x1", "skip_connect", "avg_pool_3x3", "none", "nor_conv_3x3", "skip_connect")
)


@pytest.fixture(autouse=True)
def one_thread():
    # These networks are tiny: on a shared CPU, torch's intra-op threads cost more in
    # waiting for each other than they save.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _paths(supernet: NB201Supernet, n: int) -> list[tuple[str, ...]]:
    generator = torch.Generator().manual_seed(0)
    return [CONV.ops, NONE.ops, MIXED.ops] + [supernet.sample_path(generator) for _ in range(n)]


@pytest.mark.parametrize("shape", [(2, 24), (3, 8, 8)])
def test_a_path_computes_exactly_what_its_standalone_network_computes(shape) -> None:
    torch.manual_seed(0)
    supernet = NB201Supernet(shape[0], 5, dims=len(shape) - 1, channels=4, cells_per_stage=2)
    x = torch.randn(6, *shape)
    for path in _paths(supernet, 4):
        net = supernet.network(path)
        assert net.training and torch.equal(net(x), supernet(x, path))  # batch statistics
        supernet.eval()
        assert torch.equal(net.eval()(x), supernet(x, path))  # running statistics
        supernet.train()
        # The same modules as the space builds, so the weights fit its network too.
        built = NB201(channels=4, cells_per_stage=2).build(NB201Genotype(path), shape, 5)
        assert built.state_dict().keys() == net.state_dict().keys()
        # And back: a standalone network's weights go into the supernet.
        other = NB201Network(path, shape[0], 5, dims=len(shape) - 1, channels=4, cells_per_stage=2)
        supernet.load_path(path, other)
        assert torch.equal(other(x), supernet(x, path))


def test_a_step_trains_only_the_path() -> None:
    supernet = NB201Supernet(1, 10, dims=1, channels=4)
    supernet(torch.randn(4, 1, 40), MIXED.ops).sum().backward()
    cell = supernet.cells[0]
    for e, op in enumerate(MIXED.ops):
        for other, module in cell.edges[e].items():
            for p in module.parameters():
                assert (p.grad is not None) == (other == op)


def test_fair_paths_use_every_op_of_every_edge_once() -> None:
    supernet = NB201Supernet(1, 10, dims=1, channels=4)
    paths = supernet.fair_paths(torch.Generator().manual_seed(1))
    assert len(paths) == len(NB201_OPS)
    for e in range(6):
        assert sorted(path[e] for path in paths) == sorted(NB201_OPS)


def test_paths_are_drawn_from_the_ops_asked_for() -> None:
    supernet = NB201Supernet(1, 10, dims=1, channels=4)
    four = [op for op in NB201_OPS if op != "none"]
    generator = torch.Generator().manual_seed(2)
    drawn = {op for _ in range(50) for op in supernet.sample_path(generator, four)}
    assert drawn == set(four)
    assert {op for _ in range(50) for op in supernet.sample_path(generator)} == set(NB201_OPS)
    paths = supernet.fair_paths(generator, four)
    assert len(paths) == 4 and all(sorted(p[e] for p in paths) == sorted(four) for e in range(6))
    with pytest.raises(ValueError, match="must be some of"):
        supernet.sample_path(generator, ["conv_5x5"])


@pytest.mark.slow
@pytest.mark.parametrize("train_none", [False, True])
def test_pretraining_draws_none_only_when_asked(tmp_path, small_mnist1d, train_none) -> None:
    objective = SupernetObjective(
        NB201(channels=4),
        small_mnist1d,
        checkpoint=tmp_path / "s.pt",
        epochs=1,
        train_none=train_none,
        draw=False,
    )
    generator = torch.Generator().manual_seed(0)
    drawn = {op for _ in range(50) for path in objective._sample(generator) for op in path}
    assert ("none" in drawn) == train_none and len(drawn) >= 4
    objective.pretrain()
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    assert study.user_attrs["supernet:settings"]["train_none"] is train_none
    assert SupernetObjective.from_study(study, small_mnist1d).train_none is train_none


def test_a_path_outside_the_supernet_is_one_clear_error() -> None:
    supernet = NB201Supernet(1, 10, dims=1, channels=4, ops=("none", "nor_conv_3x3"))
    with pytest.raises(ValueError, match="not in this supernet"):
        supernet(torch.randn(2, 1, 40), MIXED.ops)
    with pytest.raises(ValueError, match="6 edges"):
        supernet.network(("none",) * 5)
    with pytest.raises(ValueError, match="ops must be"):
        NB201Supernet(1, 10, dims=1, ops=("conv",))


@pytest.mark.slow
def test_pretrain_then_score_enqueued_architectures(tmp_path, small_mnist1d) -> None:
    path = tmp_path / "supernet.pt"
    space = NB201(channels=8)
    objective = SupernetObjective(space, small_mnist1d, checkpoint=path, epochs=4)
    history = objective.pretrain()
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    assert history[-1]["loss"] < history[0]["loss"]
    study = optuna.create_study(direction="maximize")
    for genotype in (CONV, NONE, MIXED, CONV):
        study.enqueue_trial(space.params(genotype))
    study.optimize(objective, n_trials=4)
    assert study.user_attrs["supernet:checkpoint"] == str(path)
    trials = study.trials
    assert [t.user_attrs["genotype"] for t in trials] == [str(g) for g in (CONV, NONE, MIXED, CONV)]
    # The empty cell leaves only the head's bias: one class, about a tenth right.
    assert trials[0].value > trials[1].value
    assert trials[3].value == trials[0].value  # the same weights and batches: the same estimate
    steps = 4 * -(-len(small_mnist1d.train) // 128)
    for trial, genotype in zip(trials, (CONV, NONE, MIXED, CONV)):
        attrs = trial.user_attrs
        assert attrs["value_kind"] == "supernet_estimate" and attrs["supernet_mode"] == "one-shot"
        assert attrs["supernet_epoch"] == 4 and attrs["supernet_step"] == steps
        assert NB201Genotype.from_json(attrs["genotype_json"]) == genotype
        standalone = space.build(genotype, small_mnist1d.input_shape, 10)
        assert attrs["n_parameters"] == count_params(standalone)
        assert attrs["flops"] == count_flops(standalone, small_mnist1d.input_shape)
        assert attrs["latency_ms"] > 0 and attrs["eval_seconds"] > 0
        assert attrs["supernet_valid_loss"] > 0
    # Another worker (a fresh objective on the same file) inherits the same weights.
    again = optuna.create_study(direction="maximize")
    again.enqueue_trial(space.params(CONV))
    again.optimize(SupernetObjective(space, small_mnist1d, checkpoint=path, epochs=4), n_trials=1)
    assert again.trials[0].value == trials[0].value


@pytest.mark.slow
def test_two_objectives_with_any_sampler(tmp_path, small_mnist1d) -> None:
    objective = SupernetObjective(
        NB201(channels=4), small_mnist1d, checkpoint=tmp_path / "s.pt", epochs=1
    )
    objective.pretrain()
    study = optuna.create_study(
        directions=["maximize", "minimize"],
        sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=4),
    )
    study.optimize(objective, n_trials=6)
    for trial in study.trials:
        accuracy, params = trial.values
        assert 0.0 <= accuracy <= 1.0 and params == trial.user_attrs["n_parameters"]
    flops = SupernetObjective(
        NB201(channels=4),
        small_mnist1d,
        checkpoint=tmp_path / "s.pt",
        epochs=1,
        objectives=["accuracy", "flops"],
    )
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.optimize(flops, n_trials=1)
    assert study.trials[0].values[1] == study.trials[0].user_attrs["flops"]


@pytest.mark.slow
def test_resumed_pretraining_ends_with_the_uninterrupted_weights(tmp_path, small_mnist1d) -> None:
    settings = {"epochs": 2, "sampling": "fair"}
    whole = SupernetObjective(
        NB201(channels=4), small_mnist1d, checkpoint=tmp_path / "a.pt", **settings
    )
    whole.pretrain()
    first = SupernetObjective(
        NB201(channels=4), small_mnist1d, checkpoint=tmp_path / "b.pt", **settings
    )
    assert len(first.pretrain(epochs=1)) == 1
    resumed = SupernetObjective(
        NB201(channels=4), small_mnist1d, checkpoint=tmp_path / "b.pt", **settings
    )
    assert [r["epoch"] for r in resumed.pretrain()] == [2]
    assert resumed.pretrain() == []  # nothing left to do
    a, b = load_checkpoint(tmp_path / "a.pt"), load_checkpoint(tmp_path / "b.pt")
    assert a["step"] == b["step"] and a["epoch"] == b["epoch"] == 2
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key


def test_one_shot_without_a_checkpoint_says_to_pretrain(tmp_path, small_mnist1d) -> None:
    objective = SupernetObjective(NB201(channels=4), small_mnist1d, checkpoint=tmp_path / "none.pt")
    with pytest.raises(RuntimeError, match="pretrain"):
        optuna.create_study(direction="maximize").optimize(objective, n_trials=1)


def test_a_checkpoint_of_another_setting_is_refused(tmp_path, small_mnist1d) -> None:
    path = tmp_path / "s.pt"
    SupernetObjective(NB201(channels=4), small_mnist1d, checkpoint=path, epochs=1).pretrain()
    wider = SupernetObjective(NB201(channels=8), small_mnist1d, checkpoint=path, epochs=1)
    with pytest.raises(CheckpointMismatchError, match="channels"):
        wider.pretrain()
    with pytest.raises(ValueError, match="uniform"):
        SupernetObjective(Chain(), small_mnist1d, checkpoint=path, sampling="fair")
    # A study scored with one supernet is not silently scored with another.
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("supernet:checkpoint", str(tmp_path / "other.pt"))
    with pytest.raises(ValueError, match="other.pt"):
        study.optimize(
            SupernetObjective(NB201(channels=4), small_mnist1d, checkpoint=path), n_trials=1
        )


@pytest.mark.slow
def test_enas_trains_the_shared_weights_along_each_trial(tmp_path, small_mnist1d) -> None:
    path = tmp_path / "enas.pt"
    space = NB201(channels=4)
    objective = SupernetObjective(space, small_mnist1d, mode="enas", checkpoint=path, enas_steps=3)
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(space.params(CONV))
    study.optimize(objective, n_trials=2)
    assert [t.user_attrs["supernet_step"] for t in study.trials] == [3, 6]
    before = load_checkpoint(path)["model"]
    # A second worker goes on from the first one's weights.
    other = SupernetObjective(space, small_mnist1d, mode="enas", checkpoint=path, enas_steps=3)
    study.enqueue_trial(space.params(CONV))
    study.optimize(other, n_trials=1)
    after = load_checkpoint(path)
    assert after["step"] == 9 and study.trials[-1].user_attrs["supernet_mode"] == "enas"
    conv = "cells.0.edges.0.nor_conv_3x3.1.weight"
    assert not torch.equal(before[conv], after["model"][conv])


def test_images_in_2d(tmp_path) -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(96, 1, 8, 8, generator=generator)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    split = TensorDataset(x[:64], y[:64]), TensorDataset(x[64:], y[64:])
    data = Dataset("toy", split[0], split[1], split[1], input_shape=(1, 8, 8), num_classes=2)
    objective = SupernetObjective(
        NB201(channels=4), data, checkpoint=tmp_path / "s.pt", epochs=1, batch_size=32
    )
    objective.pretrain()
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=2)
    assert all(0.0 <= t.value <= 1.0 for t in study.trials)


def test_checkpoint_loads_weights_only(tmp_path) -> None:
    save_checkpoint(tmp_path / "ok.pt", {"step": 1, "w": torch.zeros(3)})
    assert load_checkpoint(tmp_path / "ok.pt")["step"] == 1
    # A file that would run code when unpickled is refused, not executed.
    torch.save({"evil": threading.Thread}, tmp_path / "code.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(tmp_path / "code.pt")


def test_a_writer_waits_for_the_lock(tmp_path) -> None:
    path = tmp_path / "w.pt"
    with checkpoint_lock(path):
        writer = threading.Thread(target=save_checkpoint, args=(path, {"step": 7}))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and not path.exists()
    writer.join()
    assert load_checkpoint(path)["step"] == 7


@pytest.mark.slow
def test_concurrent_writers_never_leave_a_torn_file(tmp_path) -> None:
    path = tmp_path / "c.pt"
    save_checkpoint(path, {"writer": -1, "n": 0, "data": torch.zeros(100_000)})
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        for n in range(1, 16):
            save_checkpoint(
                path, {"writer": writer, "n": n, "data": torch.full((100_000,), float(n))}
            )

    def read() -> None:
        try:
            while any(t.is_alive() for t in writers):
                payload = load_checkpoint(path)
                assert torch.all(payload["data"] == payload["n"])
                seen.append((payload["writer"], payload["n"]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(w,)) for w in range(2)]
    reader = threading.Thread(target=read)
    for t in writers:
        t.start()
    reader.start()
    for t in writers + [reader]:
        t.join()
    assert not errors, errors
    assert load_checkpoint(path)["n"] == 15 and seen
    assert not glob.glob(str(path) + ".*.tmp")


_WRITER = """
import sys, torch
from optunas.evaluation import save_checkpoint
n = 0
while True:
    n += 1
    save_checkpoint(sys.argv[1], {"n": n, "data": torch.full((4_000_000,), float(n))})
"""


@pytest.mark.slow
def test_a_killed_writer_leaves_a_loadable_checkpoint(tmp_path) -> None:
    path = tmp_path / "k.pt"
    save_checkpoint(path, {"n": 0, "data": torch.zeros(4_000_000)})
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)])
    try:
        deadline = time.monotonic() + 60
        # Kill it while it writes a temporary file, after it has replaced the checkpoint once.
        while not (load_checkpoint(path)["n"] >= 1 and glob.glob(str(path) + ".*.tmp")):
            assert proc.poll() is None and time.monotonic() < deadline, "the writer never wrote"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    payload = load_checkpoint(path)
    assert payload["n"] >= 1 and torch.all(payload["data"] == payload["n"])
    # The next writer goes on, and sweeps the killed one's temporary file away.
    save_checkpoint(path, {"n": -1})
    assert load_checkpoint(path) == {"n": -1}
    assert not glob.glob(str(path) + ".*.tmp")


@pytest.mark.slow
def test_retrain_top_records_estimate_and_standalone_side_by_side(tmp_path, small_mnist1d) -> None:
    space = NB201(channels=4)
    objective = SupernetObjective(space, small_mnist1d, checkpoint=tmp_path / "s.pt", epochs=1)
    objective.pretrain()
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(storage=storage, study_name="search", direction="maximize")
    for genotype in (CONV, MIXED, NONE, CONV):
        study.enqueue_trial(space.params(genotype))
    study.optimize(objective, n_trials=4)
    best = sorted(study.trials[:3], key=lambda t: -t.value)[:2]
    retrained = retrain_top(study, 2, dataset=small_mnist1d, epochs=1)  # the space from the study
    assert retrained.study_name == "search:retrain"
    assert study.user_attrs["retrain_study"] == "search:retrain"
    assert retrained.user_attrs["retrain_of"] == "search"
    trials = retrained.trials
    assert [t.user_attrs["genotype"] for t in trials] == [t.user_attrs["genotype"] for t in best]
    for trial, source in zip(trials, best):
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert trial.user_attrs["estimate"] == source.value
        assert trial.user_attrs["estimate_trial"] == source.number
        assert trial.user_attrs["estimate_value_kind"] == "supernet_estimate"
        assert trial.user_attrs["train_seconds"] > 0
    # Once more on the same storage: nothing new to train.
    reloaded = optuna.load_study(study_name="search", storage=storage)
    assert len(retrain_top(reloaded, 2, dataset=small_mnist1d, epochs=1).trials) == 2


def test_public_names_have_examples() -> None:
    from optunas.nn import recalibrate_batchnorm

    for obj in (
        NB201Supernet,
        ChainSupernet,
        recalibrate_batchnorm,
        SupernetObjective,
        retrain_top,
        save_checkpoint,
        load_checkpoint,
    ):
        assert ">>>" in (obj.__doc__ or ""), f"{obj.__name__} has no runnable example"


@pytest.mark.slow
def test_retrain_command_prints_estimates_beside_standalone(
    tmp_path, small_mnist1d, capsys
) -> None:
    import argparse

    from optunas.cli._supernet import register

    space = NB201(channels=4)
    objective = SupernetObjective(space, small_mnist1d, checkpoint=tmp_path / "s.pt", epochs=1)
    objective.pretrain()
    storage = f"sqlite:///{tmp_path / 'cli.db'}"
    study = optuna.create_study(storage=storage, study_name="found", direction="maximize")
    study.enqueue_trial(space.params(CONV))
    study.optimize(objective, n_trials=1)
    parser = argparse.ArgumentParser(prog="optunas")
    register(parser.add_subparsers(dest="command"))

    def run(*argv: str) -> int:
        args = parser.parse_args(["retrain", *argv])
        return args.handler(args)

    assert run("--study-name", "found", "--storage", storage, "--top-k", "1", "--epochs", "1") == 0
    out = capsys.readouterr().out
    retrained = optuna.load_study(study_name="found:retrain", storage=storage)
    assert str(CONV) in out and f"{retrained.trials[0].value:.4f}" in out
    assert run("--study-name", "missing", "--storage", storage) == 2
    assert "no study 'missing'" in capsys.readouterr().err


@pytest.mark.parametrize("shape", [(1, 40), (3, 12, 12)])
def test_a_chain_path_computes_exactly_what_its_standalone_network_computes(shape) -> None:
    torch.manual_seed(0)
    space = Chain(max_layers=4, widths=(8, 16), kernels=(3, 5))
    supernet = ChainSupernet(
        shape[0], 10, dims=len(shape) - 1, max_layers=4, widths=(8, 16), kernels=(3, 5)
    )
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    x = torch.randn(4, *shape)
    for _ in range(25):  # depths, ops, widths, kernels and skips of every kind
        genotype = space.suggest(study.ask())
        net = supernet.network(genotype.layers)
        assert torch.equal(net(x), supernet(x, genotype.layers))
        supernet.eval()
        assert torch.equal(net.eval()(x), supernet(x, genotype.layers))
        supernet.train()
        assert count_params(net) == count_params(space.build(genotype, shape, 10))


def test_a_chain_layer_outside_the_supernet_is_one_clear_error() -> None:
    supernet = ChainSupernet(1, 10, dims=1, max_layers=2, widths=(8, 16))
    with pytest.raises(ValueError, match="width 32"):
        supernet(torch.randn(2, 1, 40), [LayerSpec("conv", 3, 32, "relu")])
    with pytest.raises(ValueError, match="1 to 2 layers"):
        supernet.network([LayerSpec("identity")] * 3)


@pytest.mark.slow
def test_a_chain_supernet_scores_trials(tmp_path, small_mnist1d) -> None:
    space = Chain(max_layers=3, widths=(8, 16), kernels=(3, 5))
    objective = SupernetObjective(space, small_mnist1d, checkpoint=tmp_path / "c.pt", epochs=2)
    objective.pretrain()
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=4)
    for trial in study.trials:
        genotype = space.genotype(trial.params)
        assert trial.user_attrs["genotype"] == str(genotype)
        assert trial.user_attrs["n_parameters"] == count_params(space.build(genotype, (1, 40), 10))
        assert 0.0 <= trial.value <= 1.0
    # retrain_top rebuilds the chain space from what the study records.
    retrained = retrain_top(study, 1, dataset=small_mnist1d, epochs=1)
    best = min(study.trials, key=lambda t: (-t.value, t.number))
    assert retrained.trials[0].user_attrs["genotype"] == best.user_attrs["genotype"]


_ENAS_WORKER = """
import sys, optuna, torch
torch.set_num_threads(1)
from torch.utils.data import TensorDataset
from optunas._storage import open_storage
from optunas.data import Dataset
from optunas.evaluation import SupernetObjective
from optunas.spaces import NB201
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name=sys.argv[2], storage=open_storage(sys.argv[1]))
x, y = torch.load(sys.argv[4])  # the test's data: no worker spends time generating its own
data = Dataset("mnist1d", TensorDataset(x[:640], y[:640]), TensorDataset(x[640:], y[640:]),
               TensorDataset(x[640:], y[640:]), (1, 40), 10)
objective = SupernetObjective(NB201(channels=4), data, mode="enas", checkpoint=sys.argv[3],
                              enas_steps=2)
study.optimize(objective, n_trials=3)
"""


@pytest.mark.slow
def test_two_worker_processes_share_one_checkpoint(tmp_path, study_name, small_mnist1d) -> None:
    # The checkpoint is shared through the file system, whatever storage holds the trials.
    from optunas._storage import open_storage

    url = f"journal:{tmp_path / 'study.log'}"
    optuna.create_study(storage=open_storage(url), study_name=study_name, direction="maximize")
    checkpoint, data = tmp_path / "enas.pt", tmp_path / "data.pt"
    (x, y), (vx, vy) = small_mnist1d.train.tensors, small_mnist1d.valid.tensors
    torch.save((torch.cat([x, vx]), torch.cat([y, vy])), data)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _ENAS_WORKER, url, study_name, str(checkpoint), str(data)]
        )
        for _ in range(2)
    ]
    assert [w.wait(timeout=300) for w in workers] == [0, 0]
    study = optuna.load_study(study_name=study_name, storage=open_storage(url))
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 6
    # Each trial trained on top of all the steps before it: none were lost to a race.
    assert sorted(t.user_attrs["supernet_step"] for t in study.trials) == [2, 4, 6, 8, 10, 12]
    assert load_checkpoint(checkpoint)["step"] == 12
    assert study.user_attrs["supernet:checkpoint"] == str(checkpoint)


_STALLING_WORKER = _ENAS_WORKER.replace(
    "study.optimize(objective, n_trials=3)",
    """
if len(sys.argv) > 6:
    # Fault injection below save_checkpoint: this worker's first write puts half the bytes
    # into the temporary file, says so, and hangs there, holding the lock, to be killed.
    import io, pathlib, time
    real_save = torch.save
    def half_a_write(obj, handle):
        buffer = io.BytesIO()
        real_save(obj, buffer)
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        handle.flush()
        pathlib.Path(sys.argv[6]).touch()
        time.sleep(600)
    torch.save = half_a_write
study.optimize(objective, n_trials=int(sys.argv[5]))
""",
)


@pytest.mark.slow
@pytest.mark.parametrize("storage_kind", ["journal", "postgresql"])
def test_a_worker_killed_mid_write_leaves_the_shared_checkpoint_to_the_other(
    tmp_path, study_name, small_mnist1d, storage_kind
) -> None:
    from conftest import service_url

    from optunas._storage import open_storage

    url = (
        f"journal:{tmp_path / 'study.log'}"
        if storage_kind == "journal"
        else service_url("postgresql")
    )
    study = optuna.create_study(
        storage=open_storage(url), study_name=study_name, direction="maximize"
    )
    checkpoint, data, marker = tmp_path / "enas.pt", tmp_path / "data.pt", tmp_path / "stalled"
    (x, y), (vx, vy) = small_mnist1d.train.tensors, small_mnist1d.valid.tensors
    torch.save((torch.cat([x, vx]), torch.cat([y, vy])), data)
    # One trial here first, so that the checkpoint exists (2 steps) before the kill.
    objective = SupernetObjective(
        NB201(channels=4), small_mnist1d, mode="enas", checkpoint=checkpoint, enas_steps=2
    )
    study.optimize(objective, n_trials=1)

    def worker(*extra: str) -> subprocess.Popen:
        argv = [url, study_name, str(checkpoint), str(data), *extra]
        return subprocess.Popen([sys.executable, "-c", _STALLING_WORKER, *argv])

    victim = worker("1", str(marker))
    survivor: subprocess.Popen | None = None
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert victim.poll() is None and time.monotonic() < deadline, "no write began"
            time.sleep(0.05)
        assert glob.glob(str(checkpoint) + ".*.tmp")  # the half-written temporary file
        survivor = worker("3")
        # Wait until the survivor has its trial and so is waiting for the victim's lock.
        while sum(t.state == optuna.trial.TrialState.RUNNING for t in study.trials) < 2:
            assert survivor.poll() is None and time.monotonic() < deadline, "no second trial"
            time.sleep(0.05)
        assert load_checkpoint(checkpoint)["step"] == 2  # still whole while the write hangs
    except BaseException:
        if survivor is not None:
            survivor.kill()
        raise
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    assert survivor.wait(timeout=300) == 0
    assert load_checkpoint(checkpoint)["step"] == 8
    assert not glob.glob(str(checkpoint) + ".*.tmp")  # the survivor swept the torn file away
    trials = optuna.load_study(study_name=study_name, storage=open_storage(url)).trials
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    # The survivor went on from the last whole checkpoint: 2 steps per trial, none lost but
    # the killed trial's, which never reached the file.
    assert sorted(t.user_attrs["supernet_step"] for t in done) == [2, 4, 6, 8]
    assert [t.state for t in trials].count(optuna.trial.TrialState.RUNNING) == 1  # the killed


@pytest.mark.slow
def test_pretrain_command_trains_resumes_and_refuses_another_space(tmp_path, capsys) -> None:
    import argparse

    from optunas.cli._supernet import register

    parser = argparse.ArgumentParser(prog="optunas")
    register(parser.add_subparsers(dest="command"))
    checkpoint = str(tmp_path / "cli.pt")

    def run(*argv: str) -> int:
        args = parser.parse_args(
            ["supernet", "pretrain", "--checkpoint", checkpoint, "--no-progress", *argv]
        )
        return args.handler(args)

    assert run("--epochs", "1") == 0
    assert "epoch 1: loss" in capsys.readouterr().out
    assert load_checkpoint(checkpoint)["epoch"] == 1
    assert run("--epochs", "1") == 0  # done already: nothing trained
    assert "epoch 1: loss" not in capsys.readouterr().out
    assert run("--epochs", "1", "--space", "chain") == 2
    assert "give this search another checkpoint" in capsys.readouterr().err


@pytest.mark.slow
def test_enas_with_reinforce_and_threads_loses_no_step(tmp_path, small_mnist1d) -> None:
    from optunas.samplers import ReinforceSampler

    objective = SupernetObjective(
        NB201(channels=4), small_mnist1d, mode="enas", checkpoint=tmp_path / "t.pt", enas_steps=1
    )
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
    study.optimize(objective, n_trials=6, n_jobs=2)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 6
    assert sorted(t.user_attrs["supernet_step"] for t in study.trials) == [1, 2, 3, 4, 5, 6]
    assert load_checkpoint(tmp_path / "t.pt")["step"] == 6


@pytest.mark.slow
def test_a_joining_worker_takes_the_study_s_supernet(tmp_path, small_mnist1d) -> None:
    space = NB201(channels=4)
    first = SupernetObjective(
        space, small_mnist1d, checkpoint=tmp_path / "j.pt", epochs=1, calibration_batches=2, seed=3
    )
    first.pretrain()
    storage = f"sqlite:///{tmp_path / 'j.db'}"
    study = optuna.create_study(storage=storage, study_name="joined", direction="maximize")
    study.enqueue_trial(space.params(MIXED))
    study.optimize(first, n_trials=1)
    joined = SupernetObjective.from_study(
        optuna.load_study(study_name="joined", storage=storage), small_mnist1d
    )
    assert joined.settings() == first.settings() and joined.space.channels == 4
    study.enqueue_trial(space.params(MIXED))
    study.optimize(joined, n_trials=1)
    assert study.trials[1].value == study.trials[0].value
    with pytest.raises(ValueError, match="records no supernet"):
        SupernetObjective.from_study(optuna.create_study())


@pytest.mark.slow
def test_a_worker_without_the_study_s_checkpoint_is_refused(tmp_path, small_mnist1d) -> None:
    """Workers share the checkpoint through a folder they all mount; the study records the
    file's SHA-256, so a worker whose file at that path is missing (another machine) or holds
    other weights stops with one clear exception instead of training a copy of its own."""
    import hashlib

    storage = f"sqlite:///{tmp_path / 'm.db'}"
    study = optuna.create_study(storage=storage, study_name="m", direction="maximize")
    path = tmp_path / "shared" / "e.pt"
    path.parent.mkdir()
    first = SupernetObjective(
        NB201(channels=4), small_mnist1d, mode="enas", checkpoint=path, enas_steps=1
    )
    study.optimize(first, n_trials=2)
    # A second worker on the same file goes on from the first one's weights.
    study.optimize(SupernetObjective.from_study(study, small_mnist1d), n_trials=1)
    assert load_checkpoint(path)["step"] == 3
    shared = path.read_bytes()

    path.unlink()  # the second machine: nothing at the recorded path
    with pytest.raises(CheckpointMismatchError, match="which is missing here"):
        SupernetObjective.from_study(study, small_mnist1d)
    with pytest.raises(CheckpointMismatchError, match="which is missing here"):
        study.optimize(first, n_trials=1)  # a worker already running stops as well
    assert not path.exists()
    # Other weights of the same supernet at that path (the second machine's own): refused.
    payload = torch.load(io.BytesIO(shared), weights_only=True)
    payload["model"] = {
        k: v + 1 if v.is_floating_point() else v for k, v in payload["model"].items()
    }
    save_checkpoint(path, payload)
    with pytest.raises(CheckpointMismatchError, match=r"not this one \(SHA-256"):
        SupernetObjective.from_study(study, small_mnist1d)
    with pytest.raises(CheckpointMismatchError, match="not this one"):
        study.optimize(first, n_trials=1)
    assert load_checkpoint(path)["step"] == 3  # nothing trained on the foreign file
    # The shared file back at its path: the workers go on together.
    path.write_bytes(shared)
    study.optimize(SupernetObjective.from_study(study, small_mnist1d), n_trials=1)
    assert load_checkpoint(path)["step"] == 4
    # What the study records: the SHA-256 of the file's bytes.
    assert (
        study.user_attrs["supernet:checkpoint_sha256"][-1]
        == hashlib.sha256(path.read_bytes()).hexdigest()
    )
