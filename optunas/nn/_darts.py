"""Differentiable search (DARTS): every edge a softmax-weighted sum of its ops.

The supernet is :class:`~optunas.nn.NB201Supernet` with one more way to run it: instead of
one op per edge (a path), every op of every edge, each scaled by a mixing weight. The
module layout is the weight-sharing supernet's, so the derived cell's weights copy into a
standalone :class:`~optunas.nn.NB201Network` with :meth:`~optunas.nn.NB201Supernet.network`.
Mixing weights are plain tensors (one row per edge, one column per op): this module holds
no architecture parameters and knows nothing of search spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from optunas.nn._nb201 import NB201_EDGES
from optunas.nn._supernet import NB201Supernet, _SupernetCell


class MixedOp(nn.ModuleDict):
    """Ops keyed by name, run as a weighted sum: ``sum_k weights[k] * op_k(x)``.

    A ``ModuleDict``, so its state-dict keys are those of the weight-sharing supernet's
    edges. Ops whose weight is exactly zero are skipped (a one-hot row runs one op, as
    Gumbel-hard sampling does); ``skip`` adds ``skip * x``, the auxiliary skip connection of
    DARTS-.

    Args:
        ops: The ops, by name, in the order of the weights' columns.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> from optunas.nn import MixedOp
        >>> mixed = MixedOp({"same": nn.Identity(), "twice": nn.Identity()})
        >>> mixed(torch.ones(2), torch.tensor([0.25, 0.0])).tolist()
        [0.25, 0.25]
    """

    def __init__(self, ops: Mapping[str, nn.Module]) -> None:
        super().__init__(ops)

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, weights: torch.Tensor, skip: float = 0.0
    ) -> torch.Tensor:
        if weights.shape != (len(self),):
            raise ValueError(f"expected {len(self)} weights, got shape {tuple(weights.shape)}")
        total = x * skip if skip else None
        # A weight of exactly zero contributes nothing; skipping the op saves its compute
        # while a straight-through one-hot row still passes gradients through the chosen op.
        live = [k for k in range(len(self)) if weights.requires_grad or float(weights[k]) != 0.0]
        for k, op in enumerate(self.values()):
            if k in live:
                out = weights[k] * op(x)
                total = out if total is None else total + out
        return total if total is not None else x * 0.0


class DartsNB201(NB201Supernet):
    """The NAS-Bench-201 supernet run the DARTS way: each edge a :class:`MixedOp`.

    ``forward(x, weights)`` takes the mixing weights, a ``(6, len(ops))`` tensor (rows in
    :data:`~optunas.nn.NB201_EDGES` order, columns in ``ops`` order), shared by every cell as
    in NAS-Bench-201's DARTS. ``skip`` adds an auxiliary skip connection of that strength to
    every edge (DARTS-). A forward with a path (a sequence of op names) is the weight-sharing
    supernet's, and :meth:`network` copies a derived cell's weights into a standalone network.
    Works on 1-D signals and 2-D images.

    Args:
        in_channels: Channels of the input.
        num_classes: Classes of the output.
        dims: 1 for signals ``(C, L)``, 2 for images ``(C, H, W)``.
        channels: Width of the first stage (the later two have 2x and 4x).
        cells_per_stage: Cells in each of the three stages.
        ops: The ops each edge holds, a subset of :data:`~optunas.nn.NB201_OPS`.

    Example:
        >>> import torch
        >>> from optunas.nn import DartsNB201
        >>> net = DartsNB201(in_channels=1, num_classes=10, dims=1, channels=4)
        >>> weights = torch.softmax(torch.zeros(6, len(net.ops)), dim=1)
        >>> net(torch.randn(2, 1, 40), weights).shape
        torch.Size([2, 10])
        >>> one_hot = torch.eye(len(net.ops))[[3, 1, 0, 4, 2, 0]]
        >>> path = [net.ops[k] for k in [3, 1, 0, 4, 2, 0]]
        >>> x = torch.randn(2, 1, 40)
        >>> torch.allclose(net.eval()(x, one_hot), net.network(path).eval()(x), atol=1e-6)
        True
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for block in self.cells:
            if isinstance(block, _SupernetCell):
                block.edges = nn.ModuleList(MixedOp(edge) for edge in block.edges)

    def forward(  # type: ignore[override]
        self,
        x: torch.Tensor,
        weights: torch.Tensor | list[str] | tuple[str, ...],
        skip: float = 0.0,
    ) -> torch.Tensor:
        if not isinstance(weights, torch.Tensor):
            return super().forward(x, weights)
        if weights.shape != (len(NB201_EDGES), len(self.ops)):
            raise ValueError(
                f"weights must have shape ({len(NB201_EDGES)}, {len(self.ops)}), "
                f"got {tuple(weights.shape)}"
            )
        h = self.stem(x)
        for block in self.cells:
            h = (
                _mixed_cell(block, h, weights, skip)
                if isinstance(block, _SupernetCell)
                else block(h)
            )
        return self.classifier(self.head(h).mean(dim=2))


def _mixed_cell(
    cell: _SupernetCell, x: torch.Tensor, weights: torch.Tensor, skip: float
) -> torch.Tensor:
    # The order of summation of NB201Cell, so that a one-hot row computes the network.
    nodes = [x]
    for to_node in range(1, 4):
        total = None
        for e, ((j, i), edge) in enumerate(zip(NB201_EDGES, cell.edges)):
            if j == to_node:
                out = edge(nodes[i], weights[e], skip)
                total = out if total is None else total + out
        nodes.append(total)
    return nodes[-1]
