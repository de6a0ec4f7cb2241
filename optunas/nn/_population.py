"""Many NAS-Bench-201 networks (1-D) trained at once as one module.

A tabular benchmark trains every cell of a space. Tiny networks one at a time spend their
time in per-call overhead, not arithmetic. Here G members are stacked on their own axis,
activations are ``(batch, G, channels, length)``, and every convolution is one batched
grouped convolution over the members, on CPU or GPU alike. Each member keeps
its own weights, batch-norm statistics and loss; with an elementwise optimiser (Adam, AdamW)
training the population is training each member alone on the same batches.
:meth:`PopulationNB201.from_members` copies in the weights of ordinary
:class:`~optunas.nn.NB201Network` objects, which is how that equivalence is tested.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from optunas.nn._nb201 import (
    NB201_EDGES,
    NB201Cell,
    NB201Network,
    ResidualReduction,
    nb201_stages,
)
from optunas.nn._ops import NB201_OPS

_CONV_KERNELS = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}


def _member_conv(x: torch.Tensor, weight: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Per-member 1-D convolution: x (B, G, C, L), weight (G, O, C, k) -> (B, G, O, L').

    One grouped convolution, a group per member: the library's own kernel, faster on the CPU
    than unfolding patches and multiplying them.
    """
    b, g, c, length = x.shape
    _, o, _, k = weight.shape
    out = F.conv1d(
        x.reshape(b, g * c, length),
        weight.reshape(g * o, c, k),
        stride=stride,
        padding=k // 2,
        groups=g,
    )
    return out.view(b, g, o, out.shape[-1])


def _init_conv_weight(members: int, c_out: int, c_in: int, k: int) -> nn.Parameter:
    # The same law as nn.Conv1d's default initialisation.
    bound = 1 / math.sqrt(c_in * k)
    return nn.Parameter(torch.empty(members, c_out, c_in, k).uniform_(-bound, bound))


class _MemberBN(nn.Module):
    """Batch norm with separate statistics per (member, channel); a forward may cover only
    some members (``index``)."""

    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, members: int, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(members, channels))
        self.bias = nn.Parameter(torch.zeros(members, channels))
        self.register_buffer("running_mean", torch.zeros(members, channels))
        self.register_buffer("running_var", torch.ones(members, channels))

    def forward(self, x: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        b, g, c, length = x.shape
        weight: torch.Tensor
        bias: torch.Tensor
        if index is None:
            mean, var, weight, bias = self.running_mean, self.running_var, self.weight, self.bias
        else:
            mean, var = self.running_mean[index], self.running_var[index]
            weight, bias = self.weight[index], self.bias[index]
        flat_mean, flat_var = mean.reshape(-1), var.reshape(-1)
        out = F.batch_norm(
            x.reshape(b, g * c, length),
            flat_mean,
            flat_var,
            weight.reshape(-1),
            bias.reshape(-1),
            self.training,
            0.1,
            1e-5,
        )
        if self.training and index is not None:  # the statistics were updated in gathered copies
            self.running_mean.index_copy_(0, index, flat_mean.view(g, c))
            self.running_var.index_copy_(0, index, flat_var.view(g, c))
        return out.view(b, g, c, length)

    def pairs(self, g: int, bn: nn.Module) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for name in ("weight", "bias", "running_mean", "running_var"):
            yield getattr(self, name).data[g], getattr(bn, name).data


class _ReLUConvBN(nn.Module):
    """NAS-Bench-201's ReLU, bias-free conv, batch norm, for every member."""

    def __init__(self, members: int, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.weight = _init_conv_weight(members, c_out, c_in, kernel)
        self.bn = _MemberBN(members, c_out)

    def forward(self, x: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        weight = self.weight if index is None else self.weight[index]
        out: torch.Tensor = self.bn(_member_conv(F.relu(x), weight, self.stride), index)
        return out

    def pairs(self, g: int, seq: nn.Sequential) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        yield self.weight.data[g], cast(nn.Conv1d, seq[1]).weight.data
        yield from self.bn.pairs(g, seq[2])


class _Cell(nn.Module):
    def __init__(self, genotypes: Sequence[Sequence[str]], channels: int) -> None:
        super().__init__()
        self.genotypes = [tuple(ops) for ops in genotypes]
        self.convs = nn.ModuleDict()
        self.users: dict[str, list[int]] = {}
        for e in range(len(NB201_EDGES)):
            for op in NB201_OPS:
                who = [g for g, ops in enumerate(self.genotypes) if ops[e] == op]
                if who and op != "none":
                    key = f"{e}_{op}"
                    self.users[key] = who
                    self.register_buffer(f"members_{key}", torch.tensor(who), persistent=False)
                    if op in _CONV_KERNELS:
                        self.convs[key] = _ReLUConvBN(
                            len(genotypes), channels, channels, _CONV_KERNELS[op], 1
                        )

    def _edge(self, e: int, x: torch.Tensor) -> torch.Tensor | None:
        """The edge's output for every member; None when every member has ``none`` there."""
        out = None
        for op in ("skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"):
            key = f"{e}_{op}"
            if key not in self.users:
                continue
            # An op every member shares runs on the whole tensor: no gather, no scatter.
            shared = len(self.users[key]) == len(self.genotypes)
            index: torch.Tensor | None = None if shared else getattr(self, f"members_{key}")
            sub = x if index is None else x.index_select(1, index)
            if op == "avg_pool_3x3":
                b, g, c, length = sub.shape
                sub = F.avg_pool1d(sub.reshape(b, g * c, length), 3, 1, 1, count_include_pad=False)
                sub = sub.view(b, g, c, length)
            elif op in _CONV_KERNELS:
                sub = self.convs[key](sub, index)
            if index is None:  # shared
                return sub
            out = (torch.zeros_like(x) if out is None else out).index_copy(1, index, sub)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x]
        for to_node in range(1, 4):
            total = None
            for e, (j, i) in enumerate(NB201_EDGES):
                if j == to_node:
                    node = nodes[i]
                    out = self._edge(e, node) if node is not None else None
                    if out is not None:
                        total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1] if nodes[-1] is not None else torch.zeros_like(x)

    def pairs(self, g: int, cell: nn.Module) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        edges = cast(NB201Cell, cell).edges
        for e, op in enumerate(self.genotypes[g]):
            if op in _CONV_KERNELS:
                conv = cast(_ReLUConvBN, self.convs[f"{e}_{op}"])
                yield from conv.pairs(g, cast(nn.Sequential, edges[e]))


class _Reduction(nn.Module):
    def __init__(self, members: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = _ReLUConvBN(members, c_in, c_out, 3, 2)
        self.conv_b = _ReLUConvBN(members, c_out, c_out, 3, 1)
        self.shortcut = _init_conv_weight(members, c_out, c_in, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, g, c, length = x.shape
        pooled = F.avg_pool1d(x.reshape(b, g * c, length), 2, 2, ceil_mode=True)
        shortcut = _member_conv(pooled.view(b, g, c, -1), self.shortcut)
        out: torch.Tensor = shortcut + self.conv_b(self.conv_a(x))
        return out

    def pairs(self, g: int, block: nn.Module) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        reduction = cast(ResidualReduction, block)
        yield from self.conv_a.pairs(g, reduction.conv_a)
        yield from self.conv_b.pairs(g, reduction.conv_b)
        yield self.shortcut.data[g], cast(nn.Conv1d, reduction.shortcut[1]).weight.data


class PopulationNB201(nn.Module):
    """G NAS-Bench-201 networks for 1-D inputs as one module; the output is ``(B, G, classes)``.

    Train it with the sum of the members' losses and an elementwise optimiser (Adam, AdamW):
    each member then follows the trajectory it would follow alone (up to float rounding).

    Example:
        >>> import torch
        >>> from optunas.nn._population import PopulationNB201
        >>> cells = [["nor_conv_3x3"] * 6, ["none", "skip_connect"] * 3]
        >>> population = PopulationNB201(cells, in_channels=1, num_classes=10, channels=4)
        >>> population(torch.randn(8, 1, 40)).shape
        torch.Size([8, 2, 10])
    """

    def __init__(
        self,
        genotypes: Sequence[Sequence[str]],
        in_channels: int,
        num_classes: int,
        channels: int = 16,
        cells_per_stage: int = 1,
    ) -> None:
        super().__init__()
        members = len(genotypes)
        self.members = members
        self.stem = _init_conv_weight(members, channels, in_channels, 3)
        self.stem_bn = _MemberBN(members, channels)
        self.cells, width = nb201_stages(
            channels,
            cells_per_stage,
            lambda width: _Cell(genotypes, width),
            lambda c_in, c_out: _Reduction(members, c_in, c_out),
        )
        self.head_bn = _MemberBN(members, width)
        bound = 1 / math.sqrt(width)
        self.classifier_weight = nn.Parameter(
            torch.empty(members, num_classes, width).uniform_(-bound, bound)
        )
        self.classifier_bias = nn.Parameter(
            torch.empty(members, num_classes).uniform_(-bound, bound)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = _member_conv(x.unsqueeze(1).expand(-1, self.members, -1, -1), self.stem)
        h = F.relu(self.head_bn(self.cells(self.stem_bn(h))))
        return (
            torch.einsum("bgc,gkc->bgk", h.mean(dim=3), self.classifier_weight)
            + self.classifier_bias
        )

    def _pairs(self, g: int, net: NB201Network) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(member g's tensor, the same tensor in ``net``) for every weight and statistic."""
        yield self.stem.data[g], cast(nn.Conv1d, net.stem[0]).weight.data
        yield from self.stem_bn.pairs(g, net.stem[1])
        for block, single in zip(self.cells, net.cells):
            yield from cast("_Cell | _Reduction", block).pairs(g, single)
        yield from self.head_bn.pairs(g, net.head[0])
        yield self.classifier_weight.data[g], net.classifier.weight.data
        yield self.classifier_bias.data[g], net.classifier.bias.data

    @classmethod
    def from_members(
        cls,
        networks: Sequence[NB201Network],
        genotypes: Sequence[Sequence[str]],
        channels: int,
        cells_per_stage: int = 1,
    ) -> PopulationNB201:
        """A population whose members start with the weights of ``networks``."""
        population = cls(
            genotypes,
            cast(nn.Conv1d, networks[0].stem[0]).in_channels,
            networks[0].classifier.out_features,
            channels,
            cells_per_stage,
        )
        for g, net in enumerate(networks):
            for mine, theirs in population._pairs(g, net):
                mine.copy_(theirs)
        return population

    def member(self, g: int) -> NB201Network:
        """Member ``g`` as an ordinary :class:`~optunas.nn.NB201Network` (its weights and
        batch-norm statistics copied out): how one row of a population-trained table is
        checked by training the cell alone."""
        cells = [b for b in self.cells if isinstance(b, _Cell)]
        net = NB201Network(
            cells[0].genotypes[g],
            self.stem.shape[2],
            self.classifier_weight.shape[1],
            dims=1,
            channels=self.stem.shape[1],
            cells_per_stage=len(cells) // 3,
        )
        for mine, theirs in self._pairs(g, net):
            theirs.copy_(mine)
        return net
