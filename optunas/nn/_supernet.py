"""Weight sharing: one network that holds every op of a space, one path active per forward.

A path is plain data (the op name of each edge, or a chain's layer specs), so this module
knows nothing of search spaces. The supernet's modules are laid out like :class:`~optunas.nn.NB201Network`'s, with
one more level per edge (the op name), so a path's weights copy into a standalone network
one module at a time, and a path computes exactly what that network computes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

import torch
import torch.nn.functional as F
from torch import nn

from optunas.nn._chain import (
    CHAIN_KERNELS,
    CHAIN_MAX_LAYERS,
    CHAIN_STEM_WIDTH,
    CHAIN_WIDTHS,
    ChainNetwork,
    LayerSpec,
    _Project,
)
from optunas.nn._nb201 import NB201_EDGES, NB201Cell, NB201Network, build_skeleton
from optunas.nn._ops import (
    ACTIVATIONS,
    KERNEL_OPS,
    LAYER_OPS,
    NB201_OPS,
    WIDENING_OPS,
    adaptive_avg_pool,
    batchnorm_cls,
    conv_cls,
)


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
                    out = cast(nn.ModuleDict, edge)[op](nodes[i])
                    total = out if total is None else total + out
            nodes.append(cast(torch.Tensor, total))  # every node has an incoming edge
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

    # Set by build_skeleton.
    stem: nn.Sequential
    cells: nn.Sequential
    head: nn.Sequential
    classifier: nn.Linear

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
        build_skeleton(
            self,
            lambda width: _SupernetCell(self.ops, width, dims),
            in_channels,
            num_classes,
            dims,
            channels,
            cells_per_stage,
        )

    def check_path(self, path: Sequence[str]) -> tuple[str, ...]:
        """``path`` as a tuple, or ``ValueError`` when it is not a path of this supernet."""
        path = tuple(path)
        if len(path) != len(NB201_EDGES):
            raise ValueError(
                f"a path names one op for each of the {len(NB201_EDGES)} edges, got {len(path)}"
            )
        outside = [op for op in path if op not in self.ops]
        if outside:
            raise ValueError(
                f"ops {outside} are not in this supernet, which holds {', '.join(self.ops)}"
            )
        return path

    def _drawn_from(self, ops: Sequence[str] | None) -> tuple[str, ...]:
        ops = self.ops if ops is None else tuple(ops)
        if not ops or any(op not in self.ops for op in ops):
            raise ValueError(f"ops to draw from must be some of {', '.join(self.ops)}, got {ops}")
        return ops

    def sample_path(
        self, generator: torch.Generator | None = None, ops: Sequence[str] | None = None
    ) -> tuple[str, ...]:
        """A path with each edge's op drawn uniformly and independently from ``ops`` (by
        default all the supernet's)."""
        ops = self._drawn_from(ops)
        picks = torch.randint(len(ops), (len(NB201_EDGES),), generator=generator)
        return tuple(ops[int(i)] for i in picks)

    def fair_paths(
        self, generator: torch.Generator | None = None, ops: Sequence[str] | None = None
    ) -> list[tuple[str, ...]]:
        """``len(ops)`` paths in which every edge uses each of ``ops`` (by default all the
        supernet's) exactly once (FairNAS's strict fairness): trained together in one step,
        no op gets more updates than another."""
        ops = self._drawn_from(ops)
        orders = [torch.randperm(len(ops), generator=generator) for _ in NB201_EDGES]
        return [tuple(ops[int(order[k])] for order in orders) for k in range(len(ops))]

    def forward(self, x: torch.Tensor, path: Sequence[str]) -> torch.Tensor:
        path = self.check_path(path)
        h = self.stem(x)
        for block in self.cells:
            h = block(h, path) if isinstance(block, _SupernetCell) else block(h)
        logits: torch.Tensor = self.classifier(self.head(h).mean(dim=2))
        return logits

    def _pairs(
        self, path: Sequence[str], net: NB201Network
    ) -> Iterable[tuple[nn.Module, nn.Module]]:
        """(the supernet's module, the standalone network's module) holding the same weights."""
        yield self.stem, net.stem
        for block, single in zip(self.cells, net.cells):
            if isinstance(block, _SupernetCell):
                for e, op in enumerate(path):
                    yield cast(nn.ModuleDict, block.edges[e])[op], cast(NB201Cell, single).edges[e]
            else:
                yield block, single
        yield self.head, net.head
        yield self.classifier, net.classifier

    def network(self, path: Sequence[str]) -> NB201Network:
        """A standalone :class:`~optunas.nn.NB201Network` of ``path`` holding a copy of the
        path's weights and batch-norm statistics, on the supernet's device."""
        path = self.check_path(path)
        net = NB201Network(
            path, self.in_channels, self.num_classes, self.dims, self.channels, self.cells_per_stage
        )
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
_T = TypeVar("_T")


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


def _conv_fn(dims: int) -> Callable[..., torch.Tensor]:
    return F.conv1d if dims == 1 else F.conv2d


def _centre(weight: torch.Tensor, kernel: int, dims: int) -> torch.Tensor:
    """The central ``kernel`` taps of a wider kernel, as once-for-all networks share them."""
    crop = (weight.shape[-1] - kernel) // 2
    if crop == 0:
        return weight
    window = slice(crop, crop + kernel)
    return weight[(..., window)] if dims == 1 else weight[..., window, window]


def _sliced_bn(bn: nn.BatchNorm1d | nn.BatchNorm2d, x: torch.Tensor) -> torch.Tensor:
    """Batch norm over the first ``x.shape[1]`` channels of a wider one; in training the
    running statistics of those channels update in place (the slices are views)."""
    c = x.shape[1]
    mean = var = None
    if bn.running_mean is not None and bn.running_var is not None:
        if not bn.training or bn.track_running_stats:
            mean, var = bn.running_mean[:c], bn.running_var[:c]
    return F.batch_norm(
        x,
        mean,
        var,
        bn.weight[:c],
        bn.bias[:c],
        bn.training,
        0.1 if bn.momentum is None else bn.momentum,
        bn.eps,
    )


class _SlicedConv(nn.Module):
    """A ``conv`` or ``sep_conv`` layer at the widest width and kernel, then batch norm; a path
    uses the first channels and the central taps."""

    def __init__(
        self, max_in: int, max_out: int, max_kernel: int, dims: int, separable: bool
    ) -> None:
        super().__init__()
        conv = conv_cls(dims)
        self.dims, self.separable = dims, separable
        if separable:
            self.depthwise = conv(max_in, max_in, max_kernel, groups=max_in, bias=False)
            self.pointwise = conv(max_in, max_out, 1, bias=False)
        else:
            self.conv = conv(max_in, max_out, max_kernel, bias=False)
        self.bn = batchnorm_cls(dims)(max_out)

    def weights(self, c_in: int, c_out: int, kernel: int) -> list[torch.Tensor]:
        """The path's conv weights, in the order of the standalone layer's convs."""
        if self.separable:
            return [
                _centre(self.depthwise.weight[:c_in], kernel, self.dims),
                self.pointwise.weight[:c_out, :c_in],
            ]
        return [_centre(self.conv.weight[:c_out, :c_in], kernel, self.dims)]

    def forward(self, x: torch.Tensor, c_out: int, kernel: int) -> torch.Tensor:
        conv, c_in = _conv_fn(self.dims), x.shape[1]
        weights = self.weights(c_in, c_out, kernel)
        if self.separable:
            x = conv(x, weights[0], None, 1, kernel // 2, 1, c_in)
            x = conv(x, weights[1])
        else:
            x = conv(x, weights[0], None, 1, kernel // 2)
        return _sliced_bn(self.bn, x)


class ChainSupernet(nn.Module):
    """Every chain network of a :class:`~optunas.nn.LayerSpec` space in one module: each layer
    position holds the widest ``conv`` and ``sep_conv`` (a path takes the first channels and
    the kernel's central taps, as slimmable and once-for-all networks do) and a projection
    for each possible skip; a path of ``n`` layers uses the first ``n`` positions.

    :meth:`network` copies a path's weights into a standalone
    :class:`~optunas.nn.ChainNetwork`, which then computes what the supernet computes.

    Args:
        in_channels: Channels of the input.
        num_classes: Classes of the output.
        dims: 1 for signals, 2 for images.
        max_layers: Layer positions.
        ops: Layer ops a path may use (see :data:`~optunas.nn.LAYER_OPS`).
        kernels: Kernel sizes (odd); the widest is stored.
        widths: Output widths of ``conv`` and ``sep_conv``; the widest is stored.
        activations: Activations a path may use.
        stem_width: Width of the stem.

    Example:
        >>> import torch
        >>> from optunas.nn import ChainSupernet, LayerSpec
        >>> supernet = ChainSupernet(1, 10, dims=1, max_layers=3)
        >>> path = [LayerSpec("conv", 5, 32, "gelu"), LayerSpec("max_pool", 3),
        ...         LayerSpec("sep_conv", 3, 16, "relu", skips=(0,))]
        >>> x = torch.randn(2, 1, 40)
        >>> torch.equal(supernet.network(path).eval()(x), supernet.eval()(x, path))
        True
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        dims: int,
        max_layers: int = CHAIN_MAX_LAYERS,
        ops: Sequence[str] = LAYER_OPS,
        kernels: Sequence[int] = CHAIN_KERNELS,
        widths: Sequence[int] = CHAIN_WIDTHS,
        activations: Sequence[str] = tuple(ACTIVATIONS),
        stem_width: int = CHAIN_STEM_WIDTH,
    ) -> None:
        super().__init__()
        if max_layers < 1 or not kernels or not widths or not ops or not activations:
            raise ValueError(
                "max_layers must be positive and ops, kernels, widths, activations non-empty"
            )
        self.in_channels, self.num_classes, self.dims = in_channels, num_classes, dims
        self.max_layers, self.ops, self.kernels = max_layers, tuple(ops), tuple(kernels)
        self.widths, self.activations, self.stem_width = (
            tuple(widths),
            tuple(activations),
            stem_width,
        )
        widest = max(stem_width, *widths)
        self.stem = nn.Sequential(
            conv_cls(dims)(in_channels, stem_width, 3, 1, 1, bias=False),
            batchnorm_cls(dims)(stem_width),
            nn.ReLU(),
        )
        self.layers = nn.ModuleList()
        self.skips = nn.ModuleList()
        for index in range(1, max_layers + 1):
            self.layers.append(
                nn.ModuleDict(
                    {
                        op: _SlicedConv(widest, max(widths), max(kernels), dims, op == "sep_conv")
                        for op in WIDENING_OPS
                        if op in self.ops
                    }
                )
            )
            self.skips.append(
                nn.ModuleList(
                    conv_cls(dims)(widest, widest, 1, bias=False) for _ in range(index - 1)
                )
            )
        self.acts = nn.ModuleDict({name: ACTIVATIONS[name]() for name in self.activations})
        self.classifier = nn.Linear(widest, num_classes)

    def check_path(self, path: Sequence[LayerSpec]) -> tuple[LayerSpec, ...]:
        """``path`` as a tuple, or ``ValueError`` naming what lies outside the supernet."""
        path = tuple(path)
        if not 1 <= len(path) <= self.max_layers:
            raise ValueError(f"a path has 1 to {self.max_layers} layers, got {len(path)}")
        for index, spec in enumerate(path, start=1):
            problems = []
            if spec.op not in self.ops:
                problems.append(f"op {spec.op!r} (not in {', '.join(self.ops)})")
            if spec.op in KERNEL_OPS and spec.kernel not in self.kernels:
                problems.append(f"kernel {spec.kernel} (not in {self.kernels})")
            if spec.op in WIDENING_OPS and spec.width not in self.widths:
                problems.append(f"width {spec.width} (not in {self.widths})")
            if spec.op in WIDENING_OPS and spec.activation not in self.activations:
                problems.append(f"activation {spec.activation!r} (not in {self.activations})")
            if any(not 0 <= s < index - 1 for s in spec.skips):
                problems.append(f"skips {spec.skips} (sources lie in 0..{index - 2})")
            if problems:
                raise ValueError(f"layer {index} is not in this supernet: {'; '.join(problems)}")
        return path

    def sample_path(
        self, generator: torch.Generator | None = None, min_layers: int = 1
    ) -> tuple[LayerSpec, ...]:
        """A path drawn as the Chain space draws one uniformly: the depth, then each layer's
        choices, each skip with probability one half."""

        def pick(options: Sequence[_T]) -> _T:
            return options[int(torch.randint(len(options), (1,), generator=generator))]

        depth = pick(range(min_layers, self.max_layers + 1))
        layers = []
        for index in range(1, depth + 1):
            op = pick(self.ops)
            kernel = pick(self.kernels) if op in KERNEL_OPS else None
            width = pick(self.widths) if op in WIDENING_OPS else None
            act = pick(self.activations) if op in WIDENING_OPS else None
            skips = tuple(j for j in range(index - 1) if pick((False, True)))
            layers.append(LayerSpec(op, kernel, width, act, skips))
        return tuple(layers)

    def forward(self, x: torch.Tensor, path: Sequence[LayerSpec]) -> torch.Tensor:
        path = self.check_path(path)
        outputs = [self.stem(x)]
        for spec, position, projections in zip(path, self.layers, self.skips):
            out = self._layer(spec, cast(nn.ModuleDict, position), outputs[-1])
            outputs.append(
                self._add_skips(out, spec.skips, outputs, cast(nn.ModuleList, projections))
            )
        return self._classify(outputs[-1])

    def _layer(self, spec: LayerSpec, position: nn.ModuleDict, h: torch.Tensor) -> torch.Tensor:
        """The output of one layer's op on ``h``, before its skip connections."""
        # check_path has made sure that the fields the layer's op uses are set.
        if spec.op in WIDENING_OPS:
            assert spec.activation is not None
            out: torch.Tensor = self.acts[spec.activation](
                position[spec.op](h, spec.width, spec.kernel)
            )
            return out
        if spec.op in ("max_pool", "avg_pool"):
            assert spec.kernel is not None
            return self._pool(spec.op, h, spec.kernel)
        return h

    def _add_skips(
        self,
        out: torch.Tensor,
        sources: Sequence[int],
        outputs: Sequence[torch.Tensor],
        projections: nn.ModuleList,
    ) -> torch.Tensor:
        """``out`` plus the earlier ``outputs`` it skips from, pooled and projected to fit."""
        width = out.shape[1]
        for source in sources:
            skip = outputs[source]
            if skip.shape[2:] != out.shape[2:]:
                skip = adaptive_avg_pool(skip, out.shape[2:], self.dims)
            if skip.shape[1] != width:
                weight = cast(torch.Tensor, projections[source].weight)
                skip = _conv_fn(self.dims)(skip, weight[:width, : skip.shape[1]])
            out = out + skip
        return out

    def _classify(self, h: torch.Tensor) -> torch.Tensor:
        features = h.flatten(2).mean(dim=2)
        return F.linear(features, self.classifier.weight[:, : h.shape[1]], self.classifier.bias)

    def _pool(self, op: str, x: torch.Tensor, kernel: int) -> torch.Tensor:
        if op == "max_pool":
            if self.dims == 1:
                return F.max_pool1d(x, kernel, 2, kernel // 2)
            return F.max_pool2d(x, kernel, 2, kernel // 2)
        if self.dims == 1:
            return F.avg_pool1d(x, kernel, 2, kernel // 2, count_include_pad=False)
        return F.avg_pool2d(x, kernel, 2, kernel // 2, count_include_pad=False)

    @torch.no_grad()
    def network(self, path: Sequence[LayerSpec]) -> ChainNetwork:
        """A standalone :class:`~optunas.nn.ChainNetwork` of ``path`` holding a copy of the
        path's slices of the weights and batch-norm statistics."""
        path = self.check_path(path)
        net = ChainNetwork(path, self.in_channels, self.num_classes, self.dims, self.stem_width)
        net.to(self.classifier.weight.device)
        net.stem.load_state_dict(self.stem.state_dict())
        widths = [self.stem_width]
        for spec, position, projections, layer, skips in zip(
            path, self.layers, self.skips, net.layers, net.skips
        ):
            width = widths[-1]
            if spec.op in WIDENING_OPS:
                # check_path has made sure that a widening layer's width and kernel are set.
                assert spec.width is not None and spec.kernel is not None
                width = spec.width
                sliced = cast(_SlicedConv, cast(nn.ModuleDict, position)[spec.op])
                modules = cast(nn.Sequential, layer)
                convs = [m for m in modules if isinstance(m, (nn.Conv1d, nn.Conv2d))]
                for conv, weight in zip(convs, sliced.weights(widths[-1], width, spec.kernel)):
                    conv.weight.copy_(weight)
                bn = next(m for m in modules if isinstance(m, _BATCHNORMS))
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(bn, name).copy_(getattr(sliced.bn, name)[:width])
                # Both batch norms track running statistics, so both count their batches.
                tracked = sliced.bn.num_batches_tracked
                assert bn.num_batches_tracked is not None and tracked is not None
                bn.num_batches_tracked.copy_(tracked)
            for source, project in zip(spec.skips, cast(nn.ModuleList, skips)):
                proj = cast(_Project, project).proj
                if isinstance(proj, (nn.Conv1d, nn.Conv2d)):
                    weight = cast(torch.Tensor, cast(nn.ModuleList, projections)[source].weight)
                    proj.weight.copy_(weight[:width, : widths[source]])
            widths.append(width)
        net.classifier.weight.copy_(self.classifier.weight[:, : widths[-1]])
        net.classifier.bias.copy_(self.classifier.bias)
        net.train(self.training)
        return net
