"""Differentiable search (DARTS): every edge (or layer position) a softmax-weighted sum of
its ops.

The supernet is :class:`~optunas.nn.NB201Supernet` with one more way to run it: instead of
one op per edge (a path), every op of every edge, each scaled by a mixing weight. The
module layout is the weight-sharing supernet's, so the derived cell's weights copy into a
standalone :class:`~optunas.nn.NB201Network` with :meth:`~optunas.nn.NB201Supernet.network`.
:class:`DartsChain` does the same for the op of each layer position of a
:class:`~optunas.nn.ChainSupernet`, every other choice of the layers held fixed. Mixing
weights are plain tensors (one row per edge or position, one column per op): this module
holds no architecture parameters and knows nothing of search spaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from optunas.nn._chain import (
    CHAIN_KERNELS,
    CHAIN_STEM_WIDTH,
    CHAIN_WIDTHS,
    LayerSpec,
)
from optunas.nn._nb201 import NB201_EDGES
from optunas.nn._ops import (
    ACTIVATIONS,
    KERNEL_OPS,
    LAYER_OPS,
    NB201_OPS,
    WIDENING_OPS,
    adaptive_avg_pool,
)
from optunas.nn._supernet import ChainSupernet, NB201Supernet, _SupernetCell


def _live(weights: torch.Tensor) -> list[int]:
    """The columns of a weight row whose op must run: every one when the row carries
    gradients (a straight-through one-hot row still passes them through the chosen op), else
    those not exactly zero (a zero weight contributes nothing; skipping its op saves compute)."""
    return [k for k in range(len(weights)) if weights.requires_grad or float(weights[k]) != 0.0]


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

    def forward(self, x: torch.Tensor, weights: torch.Tensor, skip: float = 0.0) -> torch.Tensor:
        if weights.shape != (len(self),):
            raise ValueError(f"expected {len(self)} weights, got shape {tuple(weights.shape)}")
        total = x * skip if skip else None
        live = _live(weights)
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

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        dims: int,
        channels: int = 16,
        cells_per_stage: int = 1,
        ops: Sequence[str] = tuple(NB201_OPS),
    ) -> None:
        super().__init__(in_channels, num_classes, dims, channels, cells_per_stage, ops)
        #: Rows of the mixing weights: one per edge.
        self.num_mixed = len(NB201_EDGES)
        for block in self.cells:
            if isinstance(block, _SupernetCell):
                block.edges = nn.ModuleList(
                    MixedOp(dict(cast(nn.ModuleDict, edge).items())) for edge in block.edges
                )

    def forward(
        self,
        x: torch.Tensor,
        weights: torch.Tensor | Sequence[str],
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
        logits: torch.Tensor = self.classifier(self.head(h).mean(dim=2))
        return logits

    def path(self, ops: Sequence[str]) -> tuple[str, ...]:
        """The path of one op per edge (as :class:`DartsChain`'s, for a search over either)."""
        return self.check_path(ops)


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
        nodes.append(cast(torch.Tensor, total))  # every node has an incoming edge
    return nodes[-1]


def _with_op(layer: LayerSpec, op: str) -> LayerSpec:
    # The fields an op does not use are None, as the Chain space records its layers.
    return replace(
        layer,
        op=op,
        kernel=layer.kernel if op in KERNEL_OPS else None,
        width=layer.width if op in WIDENING_OPS else None,
        activation=layer.activation if op in WIDENING_OPS else None,
    )


def _align(outputs: Sequence[torch.Tensor], dims: int) -> list[torch.Tensor]:
    """The outputs of a position's ops brought to one shape, so that they can be summed: the
    smallest resolution among them (adaptive average pooling, as skip connections are
    pooled) and the widest width (the narrower padded with zero channels). Outputs of one
    shape, as a one-hot row's single op, come back untouched."""
    if len({tuple(o.shape) for o in outputs}) == 1:
        return list(outputs)
    size = min((o.shape[2:] for o in outputs), key=lambda s: s.numel())
    width = max(o.shape[1] for o in outputs)
    aligned = []
    for o in outputs:
        if o.shape[2:] != size:
            o = adaptive_avg_pool(o, size, dims)
        if o.shape[1] != width:
            o = F.pad(o, [0, 0] * dims + [0, width - o.shape[1]])
        aligned.append(o)
    return aligned


class DartsChain(ChainSupernet):
    """A :class:`~optunas.nn.ChainSupernet` run the DARTS way: the op of each layer position
    relaxed to a softmax-weighted sum of ``ops``, every other choice fixed by ``layers``.

    ``layers`` gives, per position, the kernel, width, activation and skips that every op of
    the position uses where it uses them (their ``op`` is ignored); the depth is
    ``len(layers)``. ``forward(x, weights)`` takes the mixing weights, a
    ``(len(layers), len(ops))`` tensor. Ops change the shape differently (pooling halves the
    resolution, ``conv`` and ``sep_conv`` set the width, the others keep it), so a soft row
    sums its ops' outputs at the smallest resolution and the widest width among them
    (narrower outputs padded with zero channels); a one-hot row runs its op alone, which is
    then exactly the standalone network's layer. ``skip`` adds an auxiliary skip of that
    strength around every position (DARTS-). A forward with a path (layer specs) is the
    weight-sharing supernet's; :meth:`path` turns one op per position into the path and
    :meth:`~optunas.nn.ChainSupernet.network` copies its weights into a standalone
    :class:`~optunas.nn.ChainNetwork`.

    Args:
        layers: The fixed choices of each position.
        in_channels: Channels of the input.
        num_classes: Classes of the output.
        dims: 1 for signals, 2 for images.
        ops: The ops each position mixes (see :data:`~optunas.nn.LAYER_OPS`).
        kernels: Kernel sizes the supernet holds (the widest is stored).
        widths: Widths the supernet holds (the widest is stored).
        activations: Activations the supernet holds.
        stem_width: Width of the stem.

    Example:
        >>> import torch
        >>> from optunas.nn import DartsChain, LayerSpec
        >>> layers = [LayerSpec("conv", 3, 8, "relu"), LayerSpec("conv", 3, 8, "gelu", skips=(0,))]
        >>> net = DartsChain(layers, 1, 10, dims=1, widths=(8,), stem_width=8)
        >>> x = torch.randn(2, 1, 40)
        >>> net(x, torch.softmax(torch.zeros(2, len(net.ops)), dim=1)).shape
        torch.Size([2, 10])
        >>> ops = ("max_pool", "sep_conv")
        >>> one_hot = torch.eye(len(net.ops))[[net.ops.index(op) for op in ops]]
        >>> print(net.path(ops)[1])
        LayerSpec(op='sep_conv', kernel=3, width=8, activation='gelu', skips=(0,))
        >>> torch.allclose(net.eval()(x, one_hot), net.network(net.path(ops)).eval()(x))
        True
    """

    def __init__(
        self,
        layers: Sequence[LayerSpec],
        in_channels: int,
        num_classes: int,
        dims: int,
        ops: Sequence[str] = LAYER_OPS,
        kernels: Sequence[int] = CHAIN_KERNELS,
        widths: Sequence[int] = CHAIN_WIDTHS,
        activations: Sequence[str] = tuple(ACTIVATIONS),
        stem_width: int = CHAIN_STEM_WIDTH,
    ) -> None:
        super().__init__(
            in_channels,
            num_classes,
            dims,
            len(layers),
            ops,
            kernels,
            widths,
            activations,
            stem_width,
        )
        self.template = tuple(layers)
        #: Rows of the mixing weights: one per layer position.
        self.num_mixed = len(self.template)
        for op in self.ops:  # every op at every position must be a path of the supernet
            self.path([op] * self.num_mixed)
        # Projections of skips the fixed layers do not take would hold weights that never
        # train (and that a gradient over every parameter would find unused): none are kept.
        for projections, layer in zip(self.skips, self.template):
            projections = cast(nn.ModuleList, projections)
            for source in range(len(projections)):
                if source not in layer.skips:
                    projections[source] = nn.Identity()

    def path(self, ops: Sequence[str]) -> tuple[LayerSpec, ...]:
        """The layers with the given op per position and the fixed choices that op uses
        (kernel for kernel ops, width and activation for widening ones), as the Chain space
        records them."""
        if len(ops) != self.num_mixed:
            raise ValueError(f"name one op for each of the {self.num_mixed} positions")
        return self.check_path(tuple(map(_with_op, self.template, ops)))

    def forward(
        self,
        x: torch.Tensor,
        weights: torch.Tensor | Sequence[LayerSpec],
        skip: float = 0.0,
    ) -> torch.Tensor:
        if not isinstance(weights, torch.Tensor):
            return super().forward(x, weights)
        if weights.shape != (self.num_mixed, len(self.ops)):
            raise ValueError(
                f"weights must have shape ({self.num_mixed}, {len(self.ops)}), "
                f"got {tuple(weights.shape)}"
            )
        outputs = [self.stem(x)]
        for row, layer, position, projections in zip(
            weights, self.template, self.layers, self.skips
        ):
            h = outputs[-1]
            live = _live(row)
            position = cast(nn.ModuleDict, position)
            parts = [self._layer(_with_op(layer, self.ops[k]), position, h) for k in live]
            # With DARTS-'s auxiliary skip, h is one more part to align (the last).
            parts = _align(parts + [h] if skip else parts, self.dims)
            out = parts.pop() * skip if skip else None
            for k, part in zip(live, parts):
                out = row[k] * part if out is None else out + row[k] * part
            if out is None:  # every weight zero: the position contributes nothing
                out = h * 0.0
            projections = cast(nn.ModuleList, projections)
            outputs.append(self._add_skips(out, layer.skips, outputs, projections))
        return self._classify(outputs[-1])
