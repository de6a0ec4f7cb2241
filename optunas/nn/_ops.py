"""The operation zoo: plain constructors keyed by name, for 1-D and 2-D inputs.

Every constructor has the signature ``(c_in, c_out, stride, dims, **options)`` and returns an
``nn.Module``. Keeping the zoo a dict of small factories (as the DARTS reference code does)
makes the search spaces plain data: a genotype names ops, a builder looks them up here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn

#: The activations of the Chain space, by name: each a module class called with no argument.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
}


def conv_cls(dims: int) -> type[nn.Conv1d] | type[nn.Conv2d]:
    return _by_dims(dims, nn.Conv1d, nn.Conv2d)


def batchnorm_cls(dims: int) -> type[nn.BatchNorm1d] | type[nn.BatchNorm2d]:
    return _by_dims(dims, nn.BatchNorm1d, nn.BatchNorm2d)


def avgpool_cls(dims: int) -> type[nn.AvgPool1d] | type[nn.AvgPool2d]:
    return _by_dims(dims, nn.AvgPool1d, nn.AvgPool2d)


def maxpool_cls(dims: int) -> type[nn.MaxPool1d] | type[nn.MaxPool2d]:
    return _by_dims(dims, nn.MaxPool1d, nn.MaxPool2d)


_One = TypeVar("_One", bound=nn.Module)
_Two = TypeVar("_Two", bound=nn.Module)


def _by_dims(dims: int, one: type[_One], two: type[_Two]) -> type[_One] | type[_Two]:
    if dims == 1:
        return one
    if dims == 2:
        return two
    raise ValueError(f"dims must be 1 (signals) or 2 (images), got {dims}")


def adaptive_avg_pool(x: torch.Tensor, size: Sequence[int], dims: int) -> torch.Tensor:
    """Adaptive average pooling of a signal (``dims=1``) or an image to the spatial ``size``."""
    if dims == 1:
        return F.adaptive_avg_pool1d(x, tuple(size))
    return F.adaptive_avg_pool2d(x, (size[0], size[1]))


def activation(name: str) -> nn.Module:
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}"
        ) from None


class Zero(nn.Module):
    """The ``none`` op: the edge carries nothing (zeros of the output shape)."""

    def __init__(self, c_out: int, stride: int) -> None:
        super().__init__()
        self.c_out = c_out
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = (slice(None), slice(None)) + (slice(None, None, self.stride),) * (x.dim() - 2)
        out = x[index].mul(0.0)
        if self.c_out == x.shape[1]:
            return out
        shape = list(out.shape)
        shape[1] = self.c_out
        return out.new_zeros(shape)


def conv_bn_act(
    c_in: int,
    c_out: int,
    kernel: int,
    stride: int,
    dims: int,
    act: str = "relu",
    pre_activation: bool = False,
    separable: bool = False,
) -> nn.Sequential:
    """A convolution with batch norm and an activation.

    ``pre_activation=True`` gives the NAS-Bench-201 order (act, conv, BN); otherwise the
    common post-activation order (conv, BN, act). ``separable=True`` makes it depthwise-
    separable: a depthwise ``kernel`` conv followed by a pointwise 1x1 conv.
    """
    conv = conv_cls(dims)
    pad = kernel // 2
    if separable:
        convs: list[nn.Module] = [
            conv(c_in, c_in, kernel, stride, pad, groups=c_in, bias=False),
            conv(c_in, c_out, 1, 1, 0, bias=False),
        ]
    else:
        convs = [conv(c_in, c_out, kernel, stride, pad, bias=False)]
    bn = batchnorm_cls(dims)(c_out)
    if pre_activation:
        return nn.Sequential(activation(act), *convs, bn)
    return nn.Sequential(*convs, bn, activation(act))


def _pool(
    kind: type[nn.Module],
    c_in: int,
    c_out: int,
    kernel: int,
    stride: int,
    dims: int,
    **options: object,
) -> nn.Module:
    pool = kind(kernel, stride, kernel // 2, **options)
    if c_in == c_out:
        return pool
    # A pooling edge cannot change width by itself; a 1x1 projection makes it fit.
    return nn.Sequential(pool, conv_bn_act(c_in, c_out, 1, 1, dims, pre_activation=True))


def _skip(c_in: int, c_out: int, stride: int, dims: int) -> nn.Module:
    if c_in == c_out and stride == 1:
        return nn.Identity()
    return conv_bn_act(c_in, c_out, 1, stride, dims, pre_activation=True)


#: NAS-Bench-201's five edge operations, by name: ``(c_in, c_out, stride, dims) -> nn.Module``.
NB201_OPS: dict[str, Callable[[int, int, int, int], nn.Module]] = {
    "none": lambda c_in, c_out, stride, dims: Zero(c_out, stride),
    "skip_connect": _skip,
    "nor_conv_1x1": lambda c_in, c_out, stride, dims: conv_bn_act(
        c_in, c_out, 1, stride, dims, pre_activation=True
    ),
    "nor_conv_3x3": lambda c_in, c_out, stride, dims: conv_bn_act(
        c_in, c_out, 3, stride, dims, pre_activation=True
    ),
    "avg_pool_3x3": lambda c_in, c_out, stride, dims: _pool(
        avgpool_cls(dims), c_in, c_out, 3, stride, dims, count_include_pad=False
    ),
}


def layer_op(op: str, c_in: int, c_out: int, kernel: int, dims: int, act: str) -> nn.Module:
    """A layer of a chain network: ``conv``, ``sep_conv``, ``max_pool``, ``avg_pool`` or
    ``identity``. Pooling layers halve the resolution; the others keep it."""
    if op == "conv":
        return conv_bn_act(c_in, c_out, kernel, 1, dims, act)
    if op == "sep_conv":
        return conv_bn_act(c_in, c_out, kernel, 1, dims, act, separable=True)
    if op == "max_pool":
        return _pool(maxpool_cls(dims), c_in, c_out, kernel, 2, dims)
    if op == "avg_pool":
        return _pool(avgpool_cls(dims), c_in, c_out, kernel, 2, dims, count_include_pad=False)
    if op == "identity":
        return _skip(c_in, c_out, 1, dims)
    raise ValueError(f"unknown layer op {op!r}; choose from {', '.join(LAYER_OPS)}")


LAYER_OPS: tuple[str, ...] = ("conv", "sep_conv", "max_pool", "avg_pool", "identity")
#: Layer ops that have a kernel size, and those that choose their output width.
KERNEL_OPS: tuple[str, ...] = ("conv", "sep_conv", "max_pool", "avg_pool")
WIDENING_OPS: tuple[str, ...] = ("conv", "sep_conv")
