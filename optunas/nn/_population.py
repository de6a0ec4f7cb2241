"""Many NAS-Bench-201 networks trained at once as one module with grouped convolutions.

A tabular benchmark trains every cell of a space. Tiny networks one at a time spend their
time in per-call overhead, not arithmetic; stacking G members along the channel axis (member
g owns channels ``g*C .. (g+1)*C``) turns G small convolutions into one grouped convolution.
Each member keeps its own weights, batch-norm statistics and loss, so with Adam-type optimisers
(elementwise updates) training the population is training each member alone on the same
batches. :meth:`PopulationNB201.from_members` copies the weights of ordinary
:class:`NB201Network` objects in, which is how the equivalence is tested.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from optunas.nn._nb201 import NB201_EDGES, NB201Network
from optunas.nn._ops import NB201_OPS

_CONV_KERNELS = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}


class _GroupedBN(nn.Module):
    """Batch norm over G*C channels whose forward may touch only some members' channels."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        if index is None:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                self.training, 0.1, 1e-5)
        mean, var = self.running_mean[index], self.running_var[index]
        out = F.batch_norm(x, mean, var, self.weight[index], self.bias[index], self.training, 0.1, 1e-5)
        if self.training:  # F.batch_norm updated the gathered copies; put them back
            self.running_mean.index_copy_(0, index, mean)
            self.running_var.index_copy_(0, index, var)
        return out

    def load(self, bns: Sequence[nn.BatchNorm1d | nn.BatchNorm2d]) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(self, name).data.copy_(torch.cat([getattr(bn, name).data for bn in bns]))


class _GroupedReLUConvBN(nn.Module):
    """ReLU, grouped bias-free conv, batch norm: NAS-Bench-201's ReLUConvBN for G members."""

    def __init__(self, members: int, c_in: int, c_out: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.members, self.stride, self.pad = members, stride, kernel // 2
        self.weight = nn.Parameter(torch.empty(members * c_out, c_in, kernel))
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        self.bn = _GroupedBN(members * c_out)
        self.c_out = c_out

    def forward(self, x: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
        weight = self.weight if index is None else self.weight[index]
        groups = weight.shape[0] // self.c_out
        out = F.conv1d(F.relu(x), weight, None, self.stride, self.pad, 1, groups)
        return self.bn(out, index)

    def load(self, seqs: Sequence[nn.Sequential]) -> None:
        self.weight.data.copy_(torch.cat([seq[1].weight.data for seq in seqs]))
        self.bn.load([seq[2] for seq in seqs])


class _PopulationCell(nn.Module):
    def __init__(self, genotypes: Sequence[Sequence[str]], channels: int) -> None:
        super().__init__()
        members = len(genotypes)
        self.convs = nn.ModuleDict()
        self.index: dict[tuple[int, str], torch.Tensor] = {}
        for e in range(len(NB201_EDGES)):
            for op in NB201_OPS:
                who = [g for g, ops in enumerate(genotypes) if ops[e] == op]
                if not who or op == "none":
                    continue
                channel_ids = torch.cat([torch.arange(g * channels, (g + 1) * channels) for g in who])
                self.register_buffer(f"index_{e}_{op}", channel_ids, persistent=False)
                self.index[(e, op)] = channel_ids
                if op in _CONV_KERNELS:
                    self.convs[f"{e}_{op}"] = _GroupedReLUConvBN(
                        members, channels, channels, _CONV_KERNELS[op], 1
                    )

    def _edge(self, e: int, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(x)
        for op in ("skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"):
            if (e, op) not in self.index:
                continue
            index = getattr(self, f"index_{e}_{op}")
            sub = x.index_select(1, index)
            if op == "avg_pool_3x3":
                sub = F.avg_pool1d(sub, 3, 1, 1, count_include_pad=False)
            elif op in _CONV_KERNELS:
                sub = self.convs[f"{e}_{op}"](sub, index)
            out = out.index_copy(1, index, sub)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for to_node in range(1, 4):
            total = None
            for e, (j, i) in enumerate(NB201_EDGES):
                if j == to_node:
                    out = self._edge(e, nodes[i])
                    total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]

    def load(self, cells: Sequence[nn.Module]) -> None:
        for key, conv in self.convs.items():
            e = int(key.split("_", 1)[0])
            conv.load([cell.edges[e] for cell in cells])


class _PopulationReduction(nn.Module):
    def __init__(self, members: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = _GroupedReLUConvBN(members, c_in, c_out, 3, 2)
        self.conv_b = _GroupedReLUConvBN(members, c_out, c_out, 3, 1)
        self.shortcut = nn.Parameter(torch.empty(members * c_out, c_in, 1))
        nn.init.kaiming_uniform_(self.shortcut, a=5**0.5)
        self.members = members

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.avg_pool1d(x, 2, 2, ceil_mode=True)
        shortcut = F.conv1d(pooled, self.shortcut, groups=self.members)
        return shortcut + self.conv_b(self.conv_a(x))

    def load(self, blocks: Sequence[nn.Module]) -> None:
        self.conv_a.load([b.conv_a for b in blocks])
        self.conv_b.load([b.conv_b for b in blocks])
        self.shortcut.data.copy_(torch.cat([b.shortcut[1].weight.data for b in blocks]))


class PopulationNB201(nn.Module):
    """G NAS-Bench-201 networks (1-D inputs) as one module; the output is ``(B, G, classes)``.

    Train it with the sum of the members' losses and an elementwise optimiser (Adam, AdamW):
    each member then follows exactly the trajectory it would alone.

    Example:
        >>> import torch
        >>> from optunas.nn import PopulationNB201
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
        self.members, self.channels, self.num_classes = members, channels, num_classes
        self.stem = nn.Parameter(torch.empty(members * channels, in_channels, 3))
        nn.init.kaiming_uniform_(self.stem, a=5**0.5)
        self.stem_bn = _GroupedBN(members * channels)
        blocks: list[nn.Module] = []
        width = channels
        for stage in range(3):
            if stage > 0:
                blocks.append(_PopulationReduction(members, width, width * 2))
                width *= 2
            blocks.extend(_PopulationCell(genotypes, width) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*blocks)
        self.head_bn = _GroupedBN(members * width)
        self.classifier_weight = nn.Parameter(torch.empty(members, num_classes, width))
        self.classifier_bias = nn.Parameter(torch.zeros(members, num_classes))
        nn.init.kaiming_uniform_(self.classifier_weight, a=5**0.5)
        self.width = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem_bn(F.conv1d(x, self.stem, padding=1))
        h = F.relu(self.head_bn(self.cells(h)))
        features = h.mean(dim=2).view(-1, self.members, self.width)
        return torch.einsum("bgc,gkc->bgk", features, self.classifier_weight) + self.classifier_bias

    @classmethod
    def from_members(cls, networks: Sequence[NB201Network], genotypes: Sequence[Sequence[str]],
                     channels: int, cells_per_stage: int = 1) -> PopulationNB201:
        """A population whose members start with the weights of ``networks``."""
        first = networks[0]
        population = cls(genotypes, first.stem[0].in_channels, first.classifier.out_features,
                         channels, cells_per_stage)
        population.stem.data.copy_(torch.cat([n.stem[0].weight.data for n in networks]))
        population.stem_bn.load([n.stem[1] for n in networks])
        for k, block in enumerate(population.cells):
            block.load([n.cells[k] for n in networks])
        population.head_bn.load([n.head[0] for n in networks])
        population.classifier_weight.data.copy_(torch.stack([n.classifier.weight.data for n in networks]))
        population.classifier_bias.data.copy_(torch.stack([n.classifier.bias.data for n in networks]))
        return population
