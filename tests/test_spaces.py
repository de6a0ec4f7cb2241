from __future__ import annotations

import dataclasses
import json

import optuna
import pytest

from optunas.nn import ACTIVATIONS, KERNEL_OPS, LAYER_OPS, WIDENING_OPS, LayerSpec
from optunas.spaces import (
    NB201,
    NB201_OP_NAMES,
    Chain,
    ChainGenotype,
    NB201Genotype,
    get_space,
)


def _random_trials(space, n: int, seed: int = 0):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    for _ in range(n):
        trial = study.ask()
        genotype = space.suggest(trial)
        study.tell(trial, 0.0)
        yield trial, genotype


@pytest.mark.parametrize("space", [NB201(), Chain()], ids=["nb201", "chain"])
def test_params_round_trip(space) -> None:
    for trial, genotype in _random_trials(space, 50):
        assert space.genotype(trial.params) == genotype
        assert space.params(genotype) == trial.params
        assert type(genotype).from_json(genotype.to_json()) == genotype
        json.loads(genotype.to_json())  # plain JSON
        assert str(genotype)  # printable
        assert hash(genotype) == hash(space.genotype(trial.params))


@pytest.mark.parametrize("space", [NB201(), Chain()], ids=["nb201", "chain"])
def test_genotype_is_frozen(space) -> None:
    _, genotype = next(_random_trials(space, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        genotype.ops = ()  # type: ignore[misc]


def test_genotype_from_params_ignores_other_hyperparameters() -> None:
    params = {f"cell/edge_{e}": "nor_conv_3x3" for e in range(6)} | {"lr": 0.1}
    assert NB201().genotype(params) == NB201Genotype(("nor_conv_3x3",) * 6)


def test_genotype_from_bad_params_raises() -> None:
    params = {f"cell/edge_{e}": "nor_conv_3x3" for e in range(6)}
    with pytest.raises(ValueError, match="not found"):
        NB201().genotype({k: v for k, v in params.items() if k != "cell/edge_3"})
    with pytest.raises(ValueError, match="cell/edge_0"):
        NB201().genotype(params | {"cell/edge_0": "conv_9x9"})
    with pytest.raises(ValueError, match="chain/num_layers"):
        Chain(max_layers=3).genotype({"chain/num_layers": 7})


def test_nb201_names_and_every_op_on_every_edge() -> None:
    seen: dict[str, set[str]] = {}
    for trial, _ in _random_trials(NB201(), 300):
        assert sorted(trial.params) == [f"cell/edge_{e}" for e in range(6)]
        for name, value in trial.params.items():
            seen.setdefault(name, set()).add(value)
        for dist in trial.distributions.values():
            assert tuple(dist.choices) == NB201_OP_NAMES
    assert all(values == set(NB201_OP_NAMES) for values in seen.values())
    assert len(NB201_OP_NAMES) ** 6 == 15_625


def test_nb201_string_round_trip() -> None:
    text = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    genotype = NB201Genotype.from_string(text)
    assert str(genotype) == text
    assert genotype.ops == (
        "nor_conv_3x3",
        "nor_conv_1x1",
        "skip_connect",
        "none",
        "avg_pool_3x3",
        "nor_conv_3x3",
    )
    with pytest.raises(ValueError):
        NB201Genotype(("nor_conv_3x3",) * 5)
    with pytest.raises(ValueError, match="unknown"):
        NB201Genotype(("conv",) * 6)


def _expected_chain_params(genotype: ChainGenotype) -> set[str]:
    names = {"chain/num_layers"}
    for i, layer in enumerate(genotype.layers, start=1):
        names.add(f"layer_{i}/op")
        if layer.op in KERNEL_OPS:
            names.add(f"layer_{i}/kernel")
        if layer.op in WIDENING_OPS:
            names |= {f"layer_{i}/width", f"layer_{i}/activation"}
        names |= {f"layer_{i}/skip_{j}" for j in range(i - 1)}
    return names


def test_chain_conditional_params_only_when_active() -> None:
    space = Chain(min_layers=1, max_layers=5)
    counts, ops, activations, kernels, widths, skipped = set(), set(), set(), set(), set(), False
    for trial, genotype in _random_trials(space, 400):
        assert set(trial.params) == _expected_chain_params(genotype)
        counts.add(len(genotype.layers))
        for layer in genotype.layers:
            ops.add(layer.op)
            activations.add(layer.activation)
            kernels.add(layer.kernel)
            widths.add(layer.width)
            skipped |= bool(layer.skips)
            assert (layer.kernel is None) == (layer.op not in KERNEL_OPS)
            assert (layer.width is None) == (layer.op not in WIDENING_OPS)
    assert counts == {1, 2, 3, 4, 5}
    assert ops == set(LAYER_OPS)
    assert activations - {None} == set(ACTIVATIONS) >= {"relu", "gelu", "silu", "tanh"}
    assert kernels - {None} == {3, 5, 7}
    assert widths - {None} == {16, 32, 64}
    assert skipped


def test_chain_genotype_text_and_json() -> None:
    genotype = ChainGenotype(
        (
            LayerSpec("conv", 5, 32, "gelu"),
            LayerSpec("max_pool", 3),
            LayerSpec("identity", skips=(0,)),
        )
    )
    assert str(genotype) == "conv5x32-gelu > max_pool3 > identity+skip0"
    assert ChainGenotype.from_json(genotype.to_json()) == genotype
    assert Chain().genotype(Chain().params(genotype)) == genotype


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_layers": 0},
        {"min_layers": 4, "max_layers": 3},
        {"ops": ["conv", "warp"]},
        {"activations": []},
        {"kernels": [4]},
        {"widths": [0]},
    ],
)
def test_chain_rejects_bad_settings(kwargs) -> None:
    with pytest.raises(ValueError):
        Chain(**kwargs)


def test_get_space_names_the_valid_ones() -> None:
    assert isinstance(get_space("chain"), Chain)
    with pytest.raises(ValueError, match="nb201, chain"):
        get_space("resnet")
