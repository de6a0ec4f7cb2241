"""Architectures drawn as SVG: plain strings, no plotting library, so a drawing costs
microseconds and renders in any browser (optuna-dashboard shows it in the trial's note)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

#: One colour per operation name, so the same op looks the same in every drawing.
_PALETTE = (
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
)
#: ``none`` (no connection) is never drawn in a cell, but charts show it: a light grey.
_NONE_COLOUR = "#bdbdbd"
_KNOWN = (
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
    "conv",
    "sep_conv",
    "max_pool",
    "avg_pool",
    "identity",
)


def op_colour(op: str) -> str:
    """The colour of an operation: fixed for the ops of optunas's spaces, stable for others.

    Example:
        >>> from optunas.dashboard import op_colour
        >>> op_colour("nor_conv_3x3")
        '#55a868'
    """
    if op == "none":
        return _NONE_COLOUR
    if op in _KNOWN:
        return _PALETTE[_KNOWN.index(op) % len(_PALETTE)]
    return _PALETTE[sum(map(ord, op)) % len(_PALETTE)]


def _svg(width: int, height: int, body: Iterable[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def draw_cell(ops: Sequence[str], edges: Sequence[tuple[int, int]], title: str = "") -> str:
    """A cell as a graph: its nodes in a row, each edge ``(to, from)`` an arc labelled and
    coloured by its operation; ``none`` edges are left out (they carry nothing).

    Example:
        >>> from optunas.dashboard import draw_cell
        >>> svg = draw_cell(["skip_connect", "none", "nor_conv_3x3"], [(1, 0), (2, 0), (2, 1)])
        >>> svg.startswith("<svg") and "nor_conv_3x3" in svg and ">none<" not in svg
        True
    """
    n_nodes = 1 + max(max(pair) for pair in edges)
    gap, top = 170, 40
    width, height = max(gap * (n_nodes - 1) + 80, 20 + 7 * len(title)), 260
    x = [40 + gap * i for i in range(n_nodes)]
    y_axis = height - 60
    body = []
    for (to, frm), op in zip(edges, ops):
        if op == "none":
            continue
        colour = op_colour(op)
        span = to - frm
        # Longer hops arc higher, so edges into one node do not overlap.
        lift = 35 + 45 * (span - 1) + (15 if span == 1 and frm % 2 else 0)
        mid_x, mid_y = (x[frm] + x[to]) / 2, y_axis - 2 * lift
        body.append(
            f'<path d="M{x[frm]},{y_axis} Q{mid_x},{mid_y} {x[to]},{y_axis}" fill="none" '
            f'stroke="{colour}" stroke-width="3" marker-end="url(#arrow)"/>'
        )
        body.append(
            f'<text x="{mid_x}" y="{y_axis - lift - 4}" text-anchor="middle" fill="{colour}">'
            f"{escape(op)}</text>"
        )
    for i, cx in enumerate(x):
        body.append(
            f'<circle cx="{cx}" cy="{y_axis}" r="14" fill="#fff" stroke="#333" stroke-width="2"/>'
        )
        body.append(f'<text x="{cx}" y="{y_axis + 4}" text-anchor="middle">{i}</text>')
    arrow = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="24" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/>'
        "</marker></defs>"
    )
    heading = f'<text x="10" y="{top - 20}" font-weight="bold">{escape(title)}</text>'
    return _svg(width, height, [arrow, heading, *body], title or "cell")


def draw_layers(layers: Sequence[dict[str, Any]], title: str = "") -> str:
    """A chain of layers as a column of boxes, input at the top, each box naming op, kernel,
    width and activation; skip connections drawn as arcs on the right.

    Each layer is a dict with ``op`` and optionally ``kernel``, ``width``, ``activation``
    and ``skips`` (earlier outputs: 0 the stem, ``k`` layer ``k``).

    Example:
        >>> from optunas.dashboard import draw_layers
        >>> svg = draw_layers([{"op": "conv", "kernel": 5, "width": 32, "activation": "relu"},
        ...                    {"op": "max_pool", "kernel": 3, "skips": [0]}])
        >>> "conv 5, 32 wide, relu" in svg and "<path" in svg
        True
    """
    box_w, box_h, gap, left, top = 220, 30, 22, 20, 30
    rows = [{"op": "stem"}, *layers, {"op": "classifier"}]
    height = top + len(rows) * (box_h + gap) + 10
    width = max(left + box_w + 40 + 18 * max(1, len(layers)), 20 + 7 * len(title))
    centre_y = [top + i * (box_h + gap) + box_h / 2 for i in range(len(rows))]
    body = [f'<text x="{left}" y="18" font-weight="bold">{escape(title)}</text>']
    for i, layer in enumerate(rows):
        y = top + i * (box_h + gap)
        colour = "#eee" if i in (0, len(rows) - 1) else op_colour(layer["op"])
        text_colour = "#000" if i in (0, len(rows) - 1) else "#fff"
        body.append(
            f'<rect x="{left}" y="{y}" width="{box_w}" height="{box_h}" rx="5" '
            f'fill="{colour}" stroke="#333"/>'
        )
        body.append(
            f'<text x="{left + box_w / 2}" y="{y + box_h / 2 + 4}" text-anchor="middle" '
            f'fill="{text_colour}">{escape(_layer_label(layer))}</text>'
        )
        if i:
            body.append(
                f'<line x1="{left + box_w / 2}" y1="{y - gap}" x2="{left + box_w / 2}" '
                f'y2="{y}" stroke="#333" stroke-width="2"/>'
            )
    for i, layer in enumerate(layers, start=1):
        for k, source in enumerate(layer.get("skips") or ()):
            reach = 20 + 18 * ((i + k) % max(1, len(layers)))
            x0 = left + box_w
            body.append(
                f'<path d="M{x0},{centre_y[source]} C{x0 + reach * 2},{centre_y[source]} '
                f'{x0 + reach * 2},{centre_y[i]} {x0},{centre_y[i]}" fill="none" '
                f'stroke="#c44e52" stroke-width="2" stroke-dasharray="5,3"/>'
            )
    return _svg(math.ceil(width), math.ceil(height), body, title or "network")


def _layer_label(layer: dict[str, Any]) -> str:
    parts = [layer["op"] + (f" {layer['kernel']}" if layer.get("kernel") else "")]
    if layer.get("width"):
        parts.append(f"{layer['width']} wide")
    if layer.get("activation"):
        parts.append(layer["activation"])
    return ", ".join(parts)


def draw_table(choices: dict[str, Any], title: str = "") -> str:
    """Any architecture as a two-column table of its choices: the drawing of a user's own
    space until it draws itself (override ``SearchSpace.draw``).

    Example:
        >>> from optunas.dashboard import draw_table
        >>> "mlp/width" in draw_table({"mlp/width": 64, "mlp/depth": 2})
        True
    """
    row_h, top = 22, 30
    key_w = 12 + 7 * max([len(str(k)) for k in choices] + [4])
    val_w = 12 + 7 * max([len(str(v)) for v in choices.values()] + [5])
    body = [f'<text x="10" y="18" font-weight="bold">{escape(title)}</text>']
    for i, (key, value) in enumerate(choices.items()):
        y = top + i * row_h
        fill = "#f4f4f4" if i % 2 else "#fff"
        body.append(
            f'<rect x="10" y="{y}" width="{key_w + val_w}" height="{row_h}" '
            f'fill="{fill}" stroke="#ccc"/>'
        )
        body.append(f'<text x="16" y="{y + 15}">{escape(str(key))}</text>')
        body.append(f'<text x="{16 + key_w}" y="{y + 15}">{escape(str(value))}</text>')
    return _svg(20 + key_w + val_w, top + row_h * len(choices) + 10, body, title or "choices")
