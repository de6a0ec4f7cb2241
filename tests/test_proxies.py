"""The SynFlow proxy on real NB201 and chain networks: what it leaves alone, what it reads."""

from __future__ import annotations

import math

import pytest
import torch

from optunas.evaluation import synflow
from optunas.nn import ChainNetwork, LayerSpec, NB201Network

CONVS = ["nor_conv_3x3"] * 6
EMPTY = ["none"] * 6
MIXED = ["skip_connect", "nor_conv_1x1", "avg_pool_3x3", "nor_conv_3x3", "none", "skip_connect"]


def _nb201(ops: list[str], dims: int = 2, in_channels: int = 3) -> NB201Network:
    torch.manual_seed(0)
    return NB201Network(
        ops, in_channels=in_channels, num_classes=5, dims=dims, channels=4, cells_per_stage=1
    )


def test_the_callers_model_is_left_as_it_was() -> None:
    net = _nb201(MIXED).train()
    net(torch.randn(2, 3, 8, 8)).sum().backward()  # gradients and running stats to keep
    before = {k: v.clone() for k, v in net.state_dict().items()}
    grads = {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}
    assert grads
    synflow(net, (3, 8, 8))
    after = net.state_dict()
    assert before.keys() == after.keys()
    for key, value in before.items():
        assert after[key].dtype == value.dtype
        assert torch.equal(after[key], value), key
    for name, param in net.named_parameters():
        assert param.dtype == torch.float32
        assert param.requires_grad
        if name in grads:
            assert torch.equal(param.grad, grads[name]), name
    assert net.training
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) > 0


def test_an_empty_cell_scores_zero_and_convolutions_score_far_above() -> None:
    empty, convs = synflow(_nb201(EMPTY), (3, 8, 8)), synflow(_nb201(CONVS), (3, 8, 8))
    assert empty == 0.0
    assert convs > 1e3
    assert 0.0 < synflow(_nb201(MIXED), (3, 8, 8)) < convs


def test_the_score_is_deterministic() -> None:
    net = _nb201(MIXED)
    first = synflow(net, (3, 8, 8))
    assert synflow(net, (3, 8, 8)) == first
    assert synflow(_nb201(MIXED), (3, 8, 8)) == first  # the same weights, another instance


@pytest.mark.parametrize(("dims", "shape"), [(1, (2, 24)), (2, (2, 8, 8))], ids=["1d", "2d"])
def test_one_and_two_dimensional_inputs(dims: int, shape: tuple[int, ...]) -> None:
    value = synflow(_nb201(MIXED, dims=dims, in_channels=2), shape)
    assert math.isfinite(value) and value > 0.0
    chain = ChainNetwork(
        [LayerSpec("conv", kernel=3, width=6), LayerSpec("max_pool", kernel=2)],
        in_channels=2,
        num_classes=5,
        dims=dims,
    )
    assert synflow(chain, shape) > 0.0


def test_weights_count_by_magnitude_and_batch_norm_not_at_all() -> None:
    net = _nb201(MIXED)
    reference = synflow(net, (3, 8, 8))
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.neg_()  # signs do not matter
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.add_(5.0)  # nor do batch-norm statistics and parameters
                module.weight.mul_(3.0)
    assert synflow(net, (3, 8, 8)) == pytest.approx(reference, rel=1e-12)


def test_it_runs_under_no_grad_and_in_eval_mode() -> None:
    net = _nb201(MIXED)
    reference = synflow(net, (3, 8, 8))
    net.eval()
    with torch.no_grad():
        assert synflow(net, (3, 8, 8)) == reference
    assert not net.training
