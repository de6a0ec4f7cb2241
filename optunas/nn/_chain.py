"""A chain network: layers one after another, each optionally fed by earlier layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from optunas.nn._ops import WIDENING_OPS, adaptive_avg_pool, batchnorm_cls, conv_cls, layer_op

# The Chain space's defaults, one set for the space, its network and its supernet.
CHAIN_MAX_LAYERS = 6
CHAIN_KERNELS: tuple[int, ...] = (3, 5, 7)
CHAIN_WIDTHS: tuple[int, ...] = (16, 32, 64)
CHAIN_STEM_WIDTH = 16


@dataclass(frozen=True)
class LayerSpec:
    """One layer as plain data: what the builder needs, nothing about search spaces.

    ``skips`` indexes earlier outputs: 0 is the stem, ``k`` the output of layer ``k``
    (1-based). The previous layer always feeds a layer; ``skips`` adds others.
    """

    op: str
    kernel: int | None = None
    width: int | None = None
    activation: str | None = None
    skips: tuple[int, ...] = ()


class _Project(nn.Module):
    """Brings an earlier output to the shape of a later one: pools to its resolution and,
    when the widths differ, projects with a 1x1 conv."""

    def __init__(self, c_in: int, c_out: int, dims: int) -> None:
        super().__init__()
        self.dims = dims
        self.proj = nn.Identity() if c_in == c_out else conv_cls(dims)(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor, size: torch.Size) -> torch.Tensor:
        if x.shape[2:] != size:
            x = adaptive_avg_pool(x, size, self.dims)
        out: torch.Tensor = self.proj(x)
        return out


class ChainNetwork(nn.Module):
    """Stem conv, then ``layers`` in order, then global average pooling and a linear head.

    Example:
        >>> import torch
        >>> from optunas.nn import ChainNetwork, LayerSpec
        >>> layers = [LayerSpec("conv", 5, 32, "gelu"), LayerSpec("max_pool", 3, 32, "relu"),
        ...           LayerSpec("sep_conv", 3, 64, "silu", skips=(0,))]
        >>> net = ChainNetwork(layers, in_channels=1, num_classes=10, dims=1)
        >>> net(torch.randn(2, 1, 40)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        layers: Sequence[LayerSpec],
        in_channels: int,
        num_classes: int,
        dims: int,
        stem_width: int = CHAIN_STEM_WIDTH,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            conv_cls(dims)(in_channels, stem_width, 3, 1, 1, bias=False),
            batchnorm_cls(dims)(stem_width),
            nn.ReLU(),
        )
        widths = [stem_width]
        self.layers = nn.ModuleList()
        self.skips = nn.ModuleList()
        self.skip_sources: list[tuple[int, ...]] = []
        for index, spec in enumerate(layers, start=1):
            bad = [s for s in spec.skips if not 0 <= s < index - 1]
            if bad:
                raise ValueError(f"layer {index} skips {bad}: sources must lie in 0..{index - 2}")
            # Pooling and identity layers keep the width they receive.
            width = spec.width if spec.width is not None and spec.op in WIDENING_OPS else widths[-1]
            layer = layer_op(
                spec.op, widths[-1], width, spec.kernel or 1, dims, spec.activation or "relu"
            )
            self.layers.append(layer)
            self.skips.append(nn.ModuleList(_Project(widths[s], width, dims) for s in spec.skips))
            self.skip_sources.append(tuple(spec.skips))
            widths.append(width)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.stem(x)]
        for layer, projections, sources in zip(self.layers, self.skips, self.skip_sources):
            out = layer(outputs[-1])
            for proj, source in zip(cast(nn.ModuleList, projections), sources):
                out = out + proj(outputs[source], out.shape[2:])
            outputs.append(out)
        logits: torch.Tensor = self.classifier(outputs[-1].flatten(2).mean(dim=2))
        return logits
