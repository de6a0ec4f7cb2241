from __future__ import annotations

import optuna
import pytest
import torch
from torch import nn

from optunas.nn import (
    NB201_OPS,
    ChainNetwork,
    LayerSpec,
    NB201Network,
    count_flops,
    count_params,
)
from optunas.spaces import NB201, Chain, NB201Genotype


@pytest.mark.parametrize("space", [NB201(channels=8), Chain(max_layers=5)], ids=["nb201", "chain"])
@pytest.mark.parametrize("input_shape", [(1, 40), (3, 32, 32), (1, 28, 28)])
def test_forward_shapes_for_random_architectures(space, input_shape) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(8):
        trial = study.ask()
        net = space.build(space.suggest(trial), input_shape, num_classes=7)
        out = net(torch.randn(3, *input_shape))
        assert out.shape == (3, 7)
        assert torch.isfinite(out).all()
        out.sum().backward()  # gradients flow through every op
        study.tell(trial, 0.0)


@pytest.mark.parametrize("op", list(NB201_OPS))
def test_each_nb201_op_keeps_shape(op) -> None:
    for dims, shape in ((1, (2, 6, 20)), (2, (2, 6, 10, 10))):
        module = NB201_OPS[op](6, 6, 1, dims)
        assert module(torch.randn(*shape)).shape == shape
    assert NB201_OPS["none"](6, 6, 1, 1)(torch.randn(2, 6, 20)).abs().sum() == 0


def test_nb201_parameter_count_is_the_formula() -> None:
    c, classes = 4, 10
    none = NB201Network(["none"] * 6, 1, classes, dims=1, channels=c, cells_per_stage=1)
    conv = NB201Network(["nor_conv_3x3"] * 6, 1, classes, dims=1, channels=c, cells_per_stage=1)
    # Each nor_conv_3x3 edge adds a bias-free conv (w*w*3) and a batch norm (2w).
    per_cell = lambda w: 6 * (w * w * 3 + 2 * w)  # noqa: E731
    assert count_params(conv) - count_params(none) == per_cell(c) + per_cell(2 * c) + per_cell(
        4 * c
    )
    # The skeleton alone: stem, two reductions, head.
    stem = 1 * c * 3 + 2 * c
    reduction = lambda a, b: (b * a * 3 + 2 * b) + (b * b * 3 + 2 * b) + a * b  # noqa: E731
    head = 2 * 4 * c + 4 * c * classes + classes
    assert count_params(none) == stem + reduction(c, 2 * c) + reduction(2 * c, 4 * c) + head


def test_nb201_cells_per_stage_and_2d() -> None:
    genotype = NB201Genotype(("nor_conv_1x1",) * 6)
    one = NB201(channels=8, cells_per_stage=1).build(genotype, (3, 16, 16), 10)
    five = NB201(channels=8, cells_per_stage=5).build(genotype, (3, 16, 16), 10)
    per_cell = lambda w: 6 * (w * w + 2 * w)  # noqa: E731
    assert count_params(five) - count_params(one) == 4 * (per_cell(8) + per_cell(16) + per_cell(32))


def test_chain_parameter_count_is_the_formula() -> None:
    net = ChainNetwork([LayerSpec("conv", 5, 32, "relu")], in_channels=1, num_classes=10, dims=1)
    stem = 1 * 16 * 3 + 2 * 16
    assert count_params(net) == stem + (16 * 32 * 5 + 2 * 32) + (32 * 10 + 10)
    sep = ChainNetwork(
        [LayerSpec("sep_conv", 5, 32, "relu")], in_channels=1, num_classes=10, dims=1
    )
    assert count_params(sep) == stem + (16 * 5 + 16 * 32 + 2 * 32) + (32 * 10 + 10)
    # A skip from the stem (16 wide) into a 32-wide layer needs a 1x1 projection.
    skip = ChainNetwork(
        [LayerSpec("conv", 5, 32, "relu"), LayerSpec("conv", 3, 32, "relu", skips=(0,))],
        in_channels=1,
        num_classes=10,
        dims=1,
    )
    assert count_params(skip) == count_params(net) + (32 * 32 * 3 + 2 * 32) + 16 * 32


def test_chain_pooling_halves_resolution_and_keeps_width() -> None:
    net = ChainNetwork(
        [LayerSpec("max_pool", 3), LayerSpec("avg_pool", 5), LayerSpec("identity", skips=(0, 1))],
        in_channels=1,
        num_classes=10,
        dims=2,
    )
    captured = []
    for layer in net.layers:
        layer.register_forward_hook(lambda m, i, o: captured.append(tuple(o.shape)))
    net(torch.randn(2, 1, 28, 28))
    assert captured == [(2, 16, 14, 14), (2, 16, 7, 7), (2, 16, 7, 7)]


def test_chain_rejects_skips_from_the_future() -> None:
    with pytest.raises(ValueError, match="skips"):
        ChainNetwork([LayerSpec("conv", 3, 16, "relu", skips=(0,))], 1, 10, dims=1)


def test_count_flops_counts_multiply_accumulates() -> None:
    assert count_flops(nn.Linear(40, 10), (40,)) == 400
    assert count_flops(nn.Conv1d(1, 4, 3, padding=1), (1, 40)) == 40 * 4 * 3
    depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
    assert count_flops(depthwise, (8, 10, 10)) == 8 * 100 * 9


def test_unknown_dims_and_ops_are_refused() -> None:
    with pytest.raises(ValueError, match="dims"):
        NB201Network(["none"] * 6, 1, 10, dims=3)
    with pytest.raises(ValueError, match="unknown"):
        NB201Network(["conv"] * 6, 1, 10, dims=1)
    with pytest.raises(ValueError, match="input_shape"):
        NB201().build(NB201Genotype(("none",) * 6), (40,), 10)
