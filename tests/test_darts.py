"""DARTS: mixed ops, the second-order gradient, the search as a trial, resuming, the command."""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
import sys

import optuna
import pytest
import torch
import torch.nn.functional as F

from optunas.data import load_mnist1d
from optunas.evaluation import (
    DARTS_GUARDS,
    CheckpointMismatchError,
    DartsSearch,
    retrain_top,
)
from optunas.evaluation._darts_steps import unrolled_arch_gradient
from optunas.nn import NB201_OPS, DartsChain, DartsNB201, LayerSpec, MixedOp
from optunas.spaces import NB201, Chain
from optunas.spaces._registry import STUDY_ATTR_SPACE

OPS = tuple(NB201_OPS)
TINY = {"epochs": 3, "batch_size": 50, "arch_lr": 3e-3}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    return load_mnist1d(num_samples=300)


@pytest.mark.parametrize("shape", [(3, 12), (3, 6, 6)])
def test_a_mixed_op_with_one_hot_weights_is_that_op(shape) -> None:
    torch.manual_seed(0)
    dims = len(shape) - 1
    mixed = MixedOp({op: NB201_OPS[op](3, 3, 1, dims) for op in OPS}).eval()
    x = torch.randn(2, *shape)
    for k, op in enumerate(OPS):
        assert torch.equal(mixed(x, torch.eye(len(OPS))[k]), mixed[op](x)), op
    # A soft row mixes them all: the weighted sum, not any one op.
    w = torch.softmax(torch.randn(len(OPS)), dim=0)
    expected = sum(w[k] * mixed[op](x) for k, op in enumerate(OPS))
    assert torch.allclose(mixed(x, w), expected, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 24), (1, 8, 8)])
def test_one_hot_rows_compute_the_standalone_network(shape) -> None:
    torch.manual_seed(0)
    net = DartsNB201(1, 10, dims=len(shape) - 1, channels=3).eval()
    path = ("nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "none")
    one_hot = torch.stack([torch.eye(len(OPS))[OPS.index(op)] for op in path])
    x = torch.randn(2, *shape)
    assert torch.allclose(net(x, one_hot), net.network(path).eval()(x), atol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        net(x, one_hot[:5])


@pytest.mark.parametrize("shape", [(1, 24), (1, 8, 8)])
def test_chain_one_hot_alphas_compute_the_standalone_chain_network(shape) -> None:
    """Every op at every position, with widths that change, pooling and skips: a one-hot
    row per position is the ChainNetwork of that genotype with the same weights."""
    torch.manual_seed(0)
    layers = [
        LayerSpec("conv", 3, 8, "relu"),
        LayerSpec("conv", 5, 4, "gelu", skips=(0,)),
        LayerSpec("conv", 3, 8, "silu", skips=(0, 1)),
    ]
    net = DartsChain(
        layers, 1, 10, dims=len(shape) - 1, kernels=(3, 5), widths=(4, 8), stem_width=6
    ).eval()
    x = torch.randn(2, *shape)
    ops = net.ops
    for choice in itertools.product(ops, repeat=len(layers)):
        one_hot = torch.eye(len(ops))[[ops.index(op) for op in choice]]
        path = net.path(choice)
        assert [layer.op for layer in path] == list(choice)
        standalone = net.network(path).eval()
        assert torch.allclose(net(x, one_hot), standalone(x), atol=1e-6), choice
    # Soft rows mix every op: each alpha gets a gradient, and the output is no single path's.
    alphas = torch.zeros(len(layers), len(ops), requires_grad=True)
    soft = net(x, torch.softmax(alphas, dim=1))
    soft.sum().backward()
    assert (alphas.grad.abs() > 0).all()
    with pytest.raises(ValueError, match="shape"):
        net(x, torch.zeros(2, len(ops)))


def test_second_order_gradient_matches_a_finite_difference() -> None:
    """The paper's approximation against central differences of the unrolled objective
    L_valid(w - xi * (grad_w L_train(w, a) + wd * w), a), in double precision."""
    torch.manual_seed(0)
    net = DartsNB201(1, 3, dims=1, channels=2).double().train()
    weights = list(net.parameters())
    alphas = (0.5 * torch.randn(6, len(OPS), dtype=torch.float64)).requires_grad_(True)
    train = (torch.randn(8, 1, 10, dtype=torch.float64), torch.randint(3, (8,)))
    valid = (torch.randn(8, 1, 10, dtype=torch.float64), torch.randint(3, (8,)))
    xi, wd = 0.5, 1e-3

    def loss(batch, a=alphas):
        return F.cross_entropy(net(batch[0], torch.softmax(a, dim=1)), batch[1])

    def unrolled(a: torch.Tensor) -> float:
        saved = [w.detach().clone() for w in weights]
        grads = torch.autograd.grad(loss(train, a), weights)
        with torch.no_grad():
            for w, g in zip(weights, grads):
                w.sub_(xi * (g + wd * w))
            value = float(loss(valid, a))
            for w, s in zip(weights, saved):
                w.copy_(s)
        return value

    # The paper's epsilon (0.01) suits float32; in double a smaller one stays clear of the
    # ReLUs' kinks, so the approximation itself, not its step, is what is tested.
    approx = unrolled_arch_gradient(loss, weights, alphas, train, valid, xi, wd, epsilon=1e-5)
    h = 1e-5
    numeric = torch.zeros_like(alphas)
    for index in range(alphas.numel()):
        step = torch.zeros(alphas.numel(), dtype=torch.float64)
        step[index] = h
        step = step.view_as(alphas)
        a_plus = (alphas.detach() + step).requires_grad_(True)
        a_minus = (alphas.detach() - step).requires_grad_(True)
        numeric.view(-1)[index] = (unrolled(a_plus) - unrolled(a_minus)) / (2 * h)
    first_order = torch.autograd.grad(loss(valid), alphas)[0]
    error = float((approx - numeric).abs().max())
    assert error < 1e-4 * float(numeric.abs().max()) + 1e-7
    # The second-order term matters here: first order misses it by far more.
    assert float((first_order - numeric).abs().max()) > 100 * error


@pytest.mark.slow
def test_the_search_is_a_trial_with_epoch_values_alphas_and_the_cell_as_params(
    tmp_path, data
) -> None:
    storage = f"sqlite:///{tmp_path / 'darts.db'}"
    study = optuna.create_study(direction="maximize", storage=storage, study_name="darts")
    space = NB201(channels=2)
    # No guard: the final cell is then the alphas' own, checked below.
    study.optimize(DartsSearch(space, data, seed=1, guard="none", **TINY), n_trials=1)
    trial = optuna.load_study(study_name="darts", storage=storage).trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [1, 2, 3]
    assert trial.user_attrs["darts_ops"] == list(OPS)
    for epoch in (1, 2, 3):
        rows = trial.user_attrs[f"darts_alphas/{epoch}"]
        assert len(rows) == 6 and all(abs(sum(row) - 1.0) < 0.01 for row in rows)
    # The derived cell is the trial's params, through the space's own distributions.
    genotype = space.genotype(trial.params)
    assert str(genotype) == trial.user_attrs["genotype"]
    probe = optuna.create_study().ask()
    space.suggest(probe)
    assert trial.distributions == probe.distributions
    # The paper's derive rule: the strongest op of each edge other than none.
    final = torch.tensor(trial.user_attrs["darts_alphas"])
    final[:, OPS.index("none")] = -float("inf")
    assert tuple(OPS[int(k)] for k in final.argmax(dim=1)) == genotype.ops
    assert trial.user_attrs["value_kind"] == "darts_estimate"
    assert trial.user_attrs["flops"] > 0 and trial.user_attrs["latency_ms"] > 0
    assert "draw_ms" in trial.user_attrs  # the cell's drawing, for optuna-dashboard
    assert trial.value == pytest.approx(trial.intermediate_values[3])
    # The study records its space and dataset: the retrain call trains the cell standalone.
    retrained = retrain_top(
        optuna.load_study(study_name="darts", storage=storage), 1, dataset=data, epochs=1
    )
    assert retrained.trials[0].user_attrs["genotype"] == str(genotype)


@pytest.mark.slow
def test_a_chain_search_is_a_trial_whose_params_round_trip(tmp_path, data) -> None:
    storage = f"sqlite:///{tmp_path / 'chain.db'}"
    study = optuna.create_study(direction="maximize", storage=storage, study_name="chain")
    space = Chain(max_layers=4, kernels=(3, 5), widths=(4, 8), stem_width=4)
    fixed = {
        "chain/num_layers": 3,
        "layer_1/kernel": 5,
        "layer_2/width": 8,
        "layer_3/activation": "gelu",
        "layer_3/skip_1": True,
    }
    settings = dict(TINY, epochs=2, seed=2, guard="none", checkpoint=tmp_path / "chain.pt")
    search = DartsSearch(space, data, fixed=fixed, **settings)
    study.optimize(search, n_trials=1)
    trial = optuna.load_study(study_name="chain", storage=storage).trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [1, 2]
    assert trial.user_attrs["darts_ops"] == list(space.ops)
    assert len(trial.user_attrs["darts_alphas/2"]) == 3  # one row per layer position
    assert "draw_ms" in trial.user_attrs  # the chain's drawing, for optuna-dashboard
    # The derived chain is the trial's params, through the space's own names.
    genotype = space.genotype(trial.params)
    assert str(genotype) == trial.user_attrs["genotype"]
    assert space.params(genotype) == trial.params
    final = torch.tensor(trial.user_attrs["darts_alphas"])
    assert [layer.op for layer in genotype.layers] == [
        space.ops[int(k)] for k in final.argmax(dim=1)
    ]
    # Everything but the ops is held where it was fixed, the rest at the space's defaults.
    defaults = {"kernel": 3, "width": 4, "activation": "relu"}
    given = {(1, "kernel"): 5, (2, "width"): 8, (3, "activation"): "gelu"}
    for i, layer in enumerate(genotype.layers, start=1):
        for name, default in defaults.items():
            if getattr(layer, name) is not None:
                assert getattr(layer, name) == given.get((i, name), default), (i, name)
        assert layer.skips == ((1,) if i == 3 else ())
    # The study records the space: the retrain call trains the chain standalone.
    retrained = retrain_top(
        optuna.load_study(study_name="chain", storage=storage), 1, dataset=data, epochs=1
    )
    assert retrained.trials[0].user_attrs["genotype"] == str(genotype)
    for bad, message in (
        ({"layer_1/op": "conv"}, "cannot fix layer_1/op"),
        ({"layer_1/width": 5}, "layer_1/width must be one of"),
        ({"chain/num_layers": 5}, "num_layers"),
    ):
        with pytest.raises(ValueError, match=message):
            DartsSearch(space, data, fixed=bad)
    # The fixed choices are part of the search's setting: another's checkpoint is refused.
    with pytest.raises(CheckpointMismatchError, match="fixed_layers"):
        DartsSearch(space, data, fixed=dict(fixed, **{"layer_2/width": 4}), **settings).load()
    with pytest.raises(ValueError, match="Chain space only"):
        DartsSearch(NB201(channels=2), data, fixed={"chain/num_layers": 2})


@pytest.mark.slow
def test_a_resumed_search_ends_as_an_uninterrupted_one(tmp_path, data) -> None:
    space = NB201(channels=2)
    settings = dict(TINY, epochs=4, order=2, seed=3)
    whole = DartsSearch(space, data, **settings).run()
    path = tmp_path / "darts.pt"
    # A pruner stops the first trial after epoch 2: the checkpoint holds two epochs.
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0, n_warmup_steps=2)
    )
    study.optimize(DartsSearch(space, data, checkpoint=path, **settings), n_trials=1)
    assert study.trials[0].state == optuna.trial.TrialState.PRUNED
    assert sorted(study.trials[0].intermediate_values) == [1, 2]
    # A fresh search object (a restarted process) on the checkpoint goes on from epoch 2.
    resumed = DartsSearch(space, data, checkpoint=path, **settings)
    resumed.load()
    assert resumed.epoch == 2
    again = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    again.optimize(resumed, n_trials=1)
    trial = again.trials[0]
    assert trial.user_attrs["darts_alphas"] == whole.alphas
    assert [trial.intermediate_values[e] for e in (1, 2, 3, 4)] == [
        r["value"] for r in whole.history
    ]
    assert space.genotype(trial.params) == whole.genotype
    with pytest.raises(CheckpointMismatchError, match="order"):
        DartsSearch(space, data, checkpoint=path, **dict(settings, order=1)).load()


@pytest.mark.slow
@pytest.mark.parametrize("guard", [g for g in DARTS_GUARDS if g != "pt"])
def test_each_guard_derives_a_cell_of_the_space(data, guard) -> None:
    space = NB201(channels=2)
    result = DartsSearch(space, data, guard=guard, **dict(TINY, epochs=2)).run()
    assert space.genotype(result.params) == result.genotype
    assert 0.0 <= result.value <= 1.0


def test_the_command_lists_the_same_guards() -> None:
    from optunas.cli._darts import GUARDS

    assert GUARDS == DARTS_GUARDS


def _optunas(*args: str) -> subprocess.CompletedProcess[str]:
    # One intra-op thread: on a shared CPU a tiny network's threads only wait for each other.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _readme(marker: str, language: str) -> str:
    """A block of the README or of a guide, by its name (see test_docs.doc_block)."""
    from test_docs import doc_block

    return doc_block(marker, language)


@pytest.mark.slow
def test_the_readme_example_runs_as_written(tmp_path, capsys) -> None:
    exec(compile(_readme("readme-darts", "python"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("|") and "{1: " in out and "3: " in out


@pytest.mark.slow
def test_the_command_records_a_search_in_a_sqlite_study(tmp_path) -> None:
    # The README's command, smaller and on a storage of its own.
    command = shlex.split(_readme("darts-command", "bash").replace("\\\n", " "))
    assert command[:2] == ["optunas", "darts"]
    storage = f"sqlite:///{tmp_path / 'cli.db'}"
    options = dict(zip(command[2::2], command[3::2]))
    options.update(
        {
            "--study-name": "cli",
            "--storage": storage,
            "--epochs": "2",
            "--channels": "2",
            "--num-samples": "300",
            "--checkpoint": str(tmp_path / "s.pt"),
        }
    )
    result = _optunas(
        "darts",
        *(x for pair in options.items() for x in pair),
        "--batch-size",
        "50",
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Trial 0 of 'cli': |")
    assert "Heartbeat" not in result.stderr  # Optuna's words, when a trial does not beat
    study = optuna.load_study(study_name="cli", storage=storage)
    (trial,) = study.trials
    assert sorted(trial.intermediate_values) == [1, 2]
    assert str(NB201().genotype(trial.params)) == trial.user_attrs["genotype"]
    assert study.user_attrs["darts:settings"]["guard"] == options.get("--guard", "pt")
    # Bad input (argparse's, the command's own, a checkpoint of another setting): one line,
    # status 2, nothing recorded.
    for bad, message in (
        (["--order", "3"], "invalid choice"),
        (["--num-samples", "300", "--dataset", "mnist"], "mnist1d only"),
        (["--checkpoint", str(tmp_path / "s.pt"), "--order", "2"], "another setting"),
    ):
        result = _optunas(
            "darts",
            *("--study-name", "cli", "--storage", storage),
            *bad,
            "--channels",
            "2",
            "--epochs",
            "2",
            "--num-samples",
            "300",
            "--batch-size",
            "50",
        )
        assert result.returncode == 2, (bad, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, bad
    assert len(optuna.load_study(study_name="cli", storage=storage).trials) == 1


@pytest.mark.slow
def test_the_readme_chain_example_runs_as_written(capsys) -> None:
    namespace: dict = {}
    exec(compile(_readme("darts-chain", "python"), "README.md", "exec"), namespace)
    genotype = namespace["space"].genotype(namespace["study"].best_trial.params)
    assert capsys.readouterr().out.strip() == str(genotype)
    assert len(genotype.layers) == 3 and genotype.layers[2].skips == (0,)


@pytest.mark.slow
def test_the_command_searches_the_chain_ops_in_a_sqlite_study(tmp_path) -> None:
    # The README's command, smaller and on a storage of its own.
    command = shlex.split(_readme("darts-chain-command", "bash").replace("\\\n", " "))
    assert command[:2] == ["optunas", "darts"]
    storage = f"sqlite:///{tmp_path / 'chain.db'}"
    options = dict(zip(command[2::2], command[3::2]))
    assert options["--space"] == "chain"
    options.update(
        {
            "--study-name": "chain",
            "--storage": storage,
            "--layers": "3",
            "--channels": "4",
            "--epochs": "2",
            "--num-samples": "300",
            "--batch-size": "50",
            "--guard": "none",
        }
    )
    result = _optunas("darts", *(x for pair in options.items() for x in pair), "--no-progress")
    assert result.returncode == 0, result.stderr
    study = optuna.load_study(study_name="chain", storage=storage)
    (trial,) = study.trials
    assert sorted(trial.intermediate_values) == [1, 2]
    # The space the study records rebuilds the genotype from the trial's params.
    recorded = study.user_attrs[STUDY_ATTR_SPACE]
    space = Chain(**{k: v for k, v in recorded.items() if k != "name"})
    genotype = space.genotype(trial.params)
    assert len(genotype.layers) == 3 and str(genotype) == trial.user_attrs["genotype"]
    assert result.stdout.startswith(f"Trial 0 of 'chain': {genotype} ")
    bad = _optunas("darts", "--study-name", "chain", "--storage", storage, "--layers", "3")
    assert bad.returncode == 2 and "--space chain only" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert len(optuna.load_study(study_name="chain", storage=storage).trials) == 1
