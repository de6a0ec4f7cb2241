"""Weight sharing: one network that holds every op of a space, one path active per forward.

A path is plain data, the op name of each edge, so this module knows nothing of search
spaces. The supernet's modules are laid out like :class:`~optunas.nn.NB201Network`'s, with
one more level per edge (the op name), so a path's weights copy into a standalone network
one module at a time, and a path computes exactly what that network computes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

from optunas.nn._nb201 import NB201_EDGES, NB201Network, ResidualReduction
from optunas.nn._ops import NB201_OPS, batchnorm_cls, conv_cls


class _SupernetCell(nn.Module):
    """Every op of ``ops`` on each of the six edges; ``forward`` runs one op per edge."""

    def __init__(self, ops: Sequence[str], channels: int, dims: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(
            nn.ModuleDict({op: NB201_OPS[op](channels, channels, 1, dims) for op in ops})
            for _ in NB201_EDGES
        )

    def forward(self, x: torch.Tensor, path: Sequence[str]) -> torch.Tensor:
        # The same order of summation as NB201Cell, so that a path is bit for bit the network.
        nodes = [x]
        for to_node in range(1, 4):
            total = None
            for (j, i), edge, op in zip(NB201_EDGES, self.edges, path):
                if j == to_node:
                    out = edge[op](nodes[i])
                    total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class NB201Supernet(nn.Module):
    """The NAS-Bench-201 network with every op on every edge; a forward runs one path.

    A path names one op per edge, in :data:`~optunas.nn.NB201_EDGES` order; every cell of the
    network follows the same path, as in the standalone network. :meth:`network` copies a
    path's weights into a standalone :class:`~optunas.nn.NB201Network`, which then computes
    what the supernet computes on that path. Works on 1-D signals (``dims=1``) and 2-D
    images (``dims=2``).

    Args:
        in_channels: Channels of the input.
        num_classes: Classes of the output.
        dims: 1 for signals ``(C, L)``, 2 for images ``(C, H, W)``.
        channels: Width of the first stage (the later two have 2x and 4x).
        cells_per_stage: Cells in each of the three stages.
        ops: The ops each edge holds, a subset of :data:`~optunas.nn.NB201_OPS`.

    Example:
        >>> import torch
        >>> from optunas.nn import NB201Supernet
        >>> supernet = NB201Supernet(in_channels=1, num_classes=10, dims=1, channels=4)
        >>> path = ["nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "none"]
        >>> x = torch.randn(2, 1, 40)
        >>> supernet.eval()(x, path).shape
        torch.Size([2, 10])
        >>> torch.equal(supernet.network(path).eval()(x), supernet(x, path))
        True
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        dims: int,
        channels: int = 16,
        cells_per_stage: int = 1,
        ops: Sequence[str] = tuple(NB201_OPS),
    ) -> None:
        super().__init__()
        if channels < 1 or cells_per_stage < 1:
            raise ValueError("channels and cells_per_stage must be positive")
        unknown = [op for op in ops if op not in NB201_OPS]
        if unknown or not ops or len(set(ops)) != len(ops):
            raise ValueError(
                f"ops must be distinct names from {', '.join(NB201_OPS)}, got {tuple(ops)}"
            )
        self.ops = tuple(ops)
        self.in_channels, self.num_classes, self.dims = in_channels, num_classes, dims
        self.channels, self.cells_per_stage = channels, cells_per_stage
        conv, bn = conv_cls(dims), batchnorm_cls(dims)
        self.stem = nn.Sequential(conv(in_channels, channels, 3, 1, 1, bias=False), bn(channels))
        layers: list[nn.Module] = []
        width = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(width, width * 2, dims))
                width *= 2
            layers.extend(_SupernetCell(self.ops, width, dims) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(bn(width), nn.ReLU(), nn.Flatten(2))
        self.classifier = nn.Linear(width, num_classes)

    def check_path(self, path: Sequence[str]) -> tuple[str, ...]:
        """``path`` as a tuple, or ``ValueError`` when it is not a path of this supernet."""
        path = tuple(path)
        if len(path) != len(NB201_EDGES):
            raise ValueError(f"a path names one op for each of the {len(NB201_EDGES)} edges, "
                             f"got {len(path)}")
        outside = [op for op in path if op not in self.ops]
        if outside:
            raise ValueError(f"ops {outside} are not in this supernet, which holds "
                             f"{', '.join(self.ops)}")
        return path

    def sample_path(self, generator: torch.Generator | None = None) -> tuple[str, ...]:
        """A path with each edge's op drawn uniformly and independently."""
        picks = torch.randint(len(self.ops), (len(NB201_EDGES),), generator=generator)
        return tuple(self.ops[int(i)] for i in picks)

    def fair_paths(self, generator: torch.Generator | None = None) -> list[tuple[str, ...]]:
        """``len(ops)`` paths in which every edge uses each of its ops exactly once (FairNAS's
        strict fairness): trained together in one step, no op gets more updates than another."""
        orders = [torch.randperm(len(self.ops), generator=generator) for _ in NB201_EDGES]
        return [tuple(self.ops[int(order[k])] for order in orders) for k in range(len(self.ops))]

    def forward(self, x: torch.Tensor, path: Sequence[str]) -> torch.Tensor:
        path = self.check_path(path)
        h = self.stem(x)
        for block in self.cells:
            h = block(h, path) if isinstance(block, _SupernetCell) else block(h)
        return self.classifier(self.head(h).mean(dim=2))

    def _pairs(self, path: Sequence[str], net: NB201Network) -> Iterable[tuple[nn.Module, nn.Module]]:
        """(the supernet's module, the standalone network's module) holding the same weights."""
        yield self.stem, net.stem
        for block, single in zip(self.cells, net.cells):
            if isinstance(block, _SupernetCell):
                for e, op in enumerate(path):
                    yield block.edges[e][op], single.edges[e]
            else:
                yield block, single
        yield self.head, net.head
        yield self.classifier, net.classifier

    def network(self, path: Sequence[str]) -> NB201Network:
        """A standalone :class:`~optunas.nn.NB201Network` of ``path`` holding a copy of the
        path's weights and batch-norm statistics, on the supernet's device."""
        path = self.check_path(path)
        net = NB201Network(path, self.in_channels, self.num_classes, self.dims, self.channels,
                           self.cells_per_stage)
        net.to(self.classifier.weight.device)
        for mine, theirs in self._pairs(path, net):
            theirs.load_state_dict(mine.state_dict())
        net.train(self.training)
        return net

    def load_path(self, path: Sequence[str], net: NB201Network) -> None:
        """Copy the weights of a standalone network of ``path`` into the supernet (the
        inverse of :meth:`network`), e.g. to start weight sharing from a trained cell."""
        path = self.check_path(path)
        if tuple(type(m).__name__ for m in net.cells) != tuple(
            "NB201Cell" if isinstance(b, _SupernetCell) else type(b).__name__ for b in self.cells
        ):
            raise ValueError("the network's stages do not match the supernet's")
        for mine, theirs in self._pairs(path, net):
            mine.load_state_dict(theirs.state_dict())


_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches: Iterable[torch.Tensor]) -> nn.Module:
    """Re-estimate every batch norm's running statistics on ``batches`` and return ``model``
    in eval mode.

    Weight sharing trains each op's batch norm under many different paths, so the running
    statistics it keeps fit no single path; a path is scored after its own statistics are
    measured afresh, the exact mean over the given batches (no momentum).

    Example:
        >>> import torch
        >>> from optunas.nn import NB201Network, recalibrate_batchnorm
        >>> net = NB201Network(["nor_conv_1x1"] * 6, 1, 10, dims=1, channels=4)
        >>> net = recalibrate_batchnorm(net, [torch.randn(16, 1, 40) * 3 + 5])
        >>> round(float(net.stem[1].running_mean.abs().max()), 1) > 0.0, net.training
        (True, False)
    """
    norms = [m for m in model.modules() if isinstance(m, _BATCHNORMS)]
    momenta = [bn.momentum for bn in norms]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # a cumulative average over the batches
    model.train()
    try:
        for x in batches:
            model(x)
    finally:
        for bn, momentum in zip(norms, momenta):
            bn.momentum = momentum
    return model.eval()
