"""The NAS-Bench-201 network: a cell of 4 nodes and 6 edges, stacked in three stages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import torch
from torch import nn

from optunas.nn._ops import NB201_OPS, avgpool_cls, batchnorm_cls, conv_bn_act, conv_cls

#: (to_node, from_node) for each edge of the cell, in NAS-Bench-201's string order.
NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))


class NB201Cell(nn.Module):
    """Node ``j`` is the sum over ``i < j`` of ``op_(j, i)(node_i)``; the cell outputs node 3."""

    def __init__(self, edge_ops: Sequence[str], channels: int, dims: int) -> None:
        super().__init__()
        if len(edge_ops) != len(NB201_EDGES):
            raise ValueError(f"an NB201 cell has {len(NB201_EDGES)} edges, got {len(edge_ops)}")
        unknown = [op for op in edge_ops if op not in NB201_OPS]
        if unknown:
            raise ValueError(f"unknown NB201 ops {unknown}; choose from {', '.join(NB201_OPS)}")
        self.edges = nn.ModuleList(NB201_OPS[op](channels, channels, 1, dims) for op in edge_ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for to_node in range(1, 4):
            total = None
            for (j, i), edge in zip(NB201_EDGES, self.edges):
                if j == to_node:
                    out = edge(nodes[i])
                    total = out if total is None else total + out
            nodes.append(cast(torch.Tensor, total))  # every node has an incoming edge
        return nodes[-1]


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: two 3x3 convs (the first of stride 2) plus a shortcut
    of average pooling and a 1x1 conv."""

    def __init__(self, c_in: int, c_out: int, dims: int) -> None:
        super().__init__()
        self.conv_a = conv_bn_act(c_in, c_out, 3, 2, dims, pre_activation=True)
        self.conv_b = conv_bn_act(c_out, c_out, 3, 1, dims, pre_activation=True)
        self.shortcut = nn.Sequential(
            avgpool_cls(dims)(2, 2, ceil_mode=True), conv_cls(dims)(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.shortcut(x) + self.conv_b(self.conv_a(x))
        return out


def nb201_stages(
    channels: int,
    cells_per_stage: int,
    cell: Callable[[int], nn.Module],
    reduction: Callable[[int, int], nn.Module],
) -> tuple[nn.Sequential, int]:
    """The NB201 skeleton's three stages: ``cells_per_stage`` cells (``cell(width)``) at
    ``channels``, 2x and 4x, joined by ``reduction(c_in, c_out)``; and the final width.

    The standalone network, the supernet and the population trainer all build theirs here,
    so their stages (and the order their weights are initialised in) stay one design.

    Example:
        >>> from torch import nn
        >>> from optunas.nn._nb201 import nb201_stages
        >>> stages, width = nb201_stages(4, 1, nn.Identity, lambda a, b: nn.Identity())
        >>> len(stages), width
        (5, 16)
    """
    layers: list[nn.Module] = []
    width = channels
    for stage in range(3):
        if stage > 0:
            layers.append(reduction(width, width * 2))
            width *= 2
        layers.extend(cell(width) for _ in range(cells_per_stage))
    return nn.Sequential(*layers), width


def build_skeleton(
    module: nn.Module,
    cell: Callable[[int], nn.Module],
    in_channels: int,
    num_classes: int,
    dims: int,
    channels: int,
    cells_per_stage: int,
) -> None:
    """Give ``module`` the NB201 skeleton: ``stem`` (conv and batch norm), ``cells`` (the
    stages of :func:`nb201_stages` with residual reductions), ``head`` (batch norm, ReLU) and
    ``classifier``; the parameter names a state dict of :class:`NB201Network` carries."""
    conv, bn = conv_cls(dims), batchnorm_cls(dims)
    module.stem = nn.Sequential(conv(in_channels, channels, 3, 1, 1, bias=False), bn(channels))
    module.cells, width = nb201_stages(
        channels, cells_per_stage, cell, lambda c_in, c_out: ResidualReduction(c_in, c_out, dims)
    )
    module.head = nn.Sequential(bn(width), nn.ReLU(), nn.Flatten(2))
    module.classifier = nn.Linear(width, num_classes)


class NB201Network(nn.Module):
    """Stem, three stages of ``cells_per_stage`` cells at ``channels``, 2x and 4x ``channels``
    joined by residual reductions, then global average pooling and a linear head.

    Example:
        >>> import torch
        >>> from optunas.nn import NB201Network
        >>> ops = ["nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "none"]
        >>> net = NB201Network(ops, in_channels=1, num_classes=10, dims=1, channels=8,
        ...                    cells_per_stage=1)
        >>> net(torch.randn(2, 1, 40)).shape
        torch.Size([2, 10])
    """

    # Set by build_skeleton.
    stem: nn.Sequential
    cells: nn.Sequential
    head: nn.Sequential
    classifier: nn.Linear

    def __init__(
        self,
        edge_ops: Sequence[str],
        in_channels: int,
        num_classes: int,
        dims: int,
        channels: int = 16,
        cells_per_stage: int = 5,
    ) -> None:
        super().__init__()
        if channels < 1 or cells_per_stage < 1:
            raise ValueError("channels and cells_per_stage must be positive")
        build_skeleton(
            self,
            lambda width: NB201Cell(edge_ops, width, dims),
            in_channels,
            num_classes,
            dims,
            channels,
            cells_per_stage,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(self.cells(self.stem(x)))
        logits: torch.Tensor = self.classifier(features.mean(dim=2))
        return logits
