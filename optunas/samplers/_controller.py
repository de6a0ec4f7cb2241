"""The REINFORCE sampler's controller: an LSTM over the trial's choices, its Adam step, and
its snapshot as packed text, kept apart from the sampler's bookkeeping with Optuna."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch

from optunas.samplers._chunked import read_chunked
from optunas.samplers._common import _stable_hash

DTYPE = torch.float64  # double precision keeps replays in different processes bit-close
#: The snapshot's format: 2 is packed and chunked (:mod:`optunas.samplers._chunked`), so that
#: it fits every storage; 1 was one JSON attr, over MySQL's 64 KB from the first snapshot on.
SNAPSHOT_VERSION = 2


_threads_lock = threading.Lock()
_threads_users = 0  # samplers inside one_thread now
_threads_saved = 1  # torch's thread count before the first of them entered


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the controller's arithmetic on one thread. Its tensors are tiny (64 units), so
    threads gain nothing, and on a busy machine a multithreaded BLAS call waits for all its
    threads to be scheduled: 300 updates took 30 s with torch's default two threads against
    2 s with one, on a two-core machine with another process running. The count is shared
    by the process, so the first sampler in saves it and the last one out restores it."""
    global _threads_users, _threads_saved
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
            if _threads_saved != 1:
                torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0 and _threads_saved != 1:
                torch.set_num_threads(_threads_saved)


def pack(snapshot: dict[str, Any], data: np.ndarray) -> str:
    """A snapshot (JSON-friendly) and the controller's float64 values as one ASCII text:
    base64 of the zlib of the JSON's length, the JSON and the values, lossless so that a
    restored controller is bit for bit the one stored. The values' bytes are stored by
    significance (every value's first byte, then every second byte, ...): the sign and
    exponent bytes then compress, which takes 12% off an NB201 cell's 0.9 MB."""
    header = json.dumps(snapshot).encode()
    shuffled = np.ascontiguousarray(data, dtype="<f8").view(np.uint8).reshape(-1, 8).T.tobytes()
    blob = zlib.compress(len(header).to_bytes(8, "little") + header + shuffled)
    return base64.b64encode(blob).decode("ascii")


def unpack(text: str) -> tuple[dict[str, Any], np.ndarray]:
    """What :func:`pack` packed."""
    blob = zlib.decompress(base64.b64decode(text))
    size = int.from_bytes(blob[:8], "little")
    shuffled = np.frombuffer(blob[8 + size :], dtype=np.uint8)
    data = shuffled.reshape(8, -1).T.copy().view("<f8").reshape(-1).astype(np.float64)
    return json.loads(blob[8 : 8 + size]), data


def load_snapshot(attrs: dict[str, Any], key: str) -> tuple[dict[str, Any], np.ndarray] | None:
    """The snapshot stored under ``key`` in the study's system attrs ``attrs`` and the
    controller's values, or None when there is none whole. Version 1 (optunas before the
    chunks) held everything in the one attr, its values as base64 of float64: studies on
    storages that took it still hold one, and it is read as before."""
    manifest = attrs.get(key)
    if not isinstance(manifest, dict):
        return None
    try:
        if manifest.get("version") == 1:
            controller = manifest["controller"]
            data = np.frombuffer(base64.b64decode(controller["data"]), dtype="<f8")
            return manifest, data.astype(np.float64)
        if manifest.get("version") == SNAPSHOT_VERSION:
            text = read_chunked(attrs, key)
            return None if text is None else unpack(text)
    except (KeyError, TypeError, ValueError, zlib.error):
        pass  # unreadable: replay instead
    return None


@dataclass
class Decision:
    key: str  # the param name and its choices: one output head per key
    size: int  # number of choices
    index: int  # the choice made


@dataclass
class Token:
    """Per-key weights: what the controller reads before deciding, what it decides, and how
    the decision is fed to the next step."""

    query: torch.Tensor  # (hidden,)
    embed: torch.Tensor  # (size, hidden)
    head_w: torch.Tensor  # (size, hidden)
    head_b: torch.Tensor  # (size,)

    def tensors(self) -> list[torch.Tensor]:
        return [self.query, self.embed, self.head_w, self.head_b]


@dataclass
class Controller:
    """A one-layer LSTM over the trial's decisions, with weights created per key on first
    sight from a seed derived from the key, so that every process builds the same weights
    whatever order it meets the keys in. Adam is written out so that weights can join late."""

    hidden: int
    seed: int
    lr: float
    lstm: torch.nn.LSTMCell = field(init=False)
    start: torch.Tensor = field(init=False)
    tokens: dict[str, Token] = field(default_factory=dict)
    moments: dict[str, tuple[torch.Tensor, torch.Tensor, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lstm = torch.nn.LSTMCell(self.hidden, self.hidden, dtype=DTYPE)
        generator = torch.Generator().manual_seed(_stable_hash(self.seed, "lstm"))
        with torch.no_grad():
            for p in self.lstm.parameters():
                p.uniform_(-0.1, 0.1, generator=generator)  # as in ENAS
        self.start = self._uniform((self.hidden,), "start")

    def _uniform(self, shape: tuple[int, ...], *name: object) -> torch.Tensor:
        generator = torch.Generator().manual_seed(_stable_hash(self.seed, *name))
        return (
            torch.empty(shape, dtype=DTYPE)
            .uniform_(-0.1, 0.1, generator=generator)
            .requires_grad_()
        )

    def token(self, key: str, size: int) -> Token:
        token = self.tokens.get(key)
        if token is None:
            token = Token(
                self._uniform((self.hidden,), key, "query"),
                self._uniform((size, self.hidden), key, "embed"),
                self._uniform((size, self.hidden), key, "head"),
                torch.zeros(size, dtype=DTYPE, requires_grad=True),
            )
            self.tokens[key] = token
        return token

    def step(
        self,
        state: tuple[torch.Tensor, torch.Tensor] | None,
        previous: Decision | None,
        key: str,
        size: int,
        temperature: float,
        tanh_constant: float,
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Feed the previous decision and the next key; return the new state and logits."""
        x = (
            self.start
            if previous is None
            else self.token(previous.key, previous.size).embed[previous.index]
        )
        token = self.token(key, size)
        h, c = self.lstm((x + token.query).unsqueeze(0), None if state is None else state)
        logits = token.head_w @ h[0] + token.head_b
        # ENAS's shaping: a temperature, then a bounded range, which keeps exploring.
        return (h, c), tanh_constant * torch.tanh(logits / temperature)

    def named_parameters(self) -> list[tuple[str, torch.Tensor]]:
        """Every weight under a name that is the same in every process (Adam's moments and
        the snapshots are keyed by it)."""
        params: list[tuple[str, torch.Tensor]] = [
            (f"lstm.{name}", p) for name, p in self.lstm.named_parameters()
        ]
        params.append(("start", self.start))
        for key in sorted(self.tokens):
            for part, p in zip(("query", "embed", "head_w", "head_b"), self.tokens[key].tensors()):
                params.append((f"{key}\x1f{part}", p))
        return params

    def parameters(self) -> list[torch.Tensor]:
        return [p for _, p in self.named_parameters()]

    def adam_step(self, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        # Weights that joined late have taken fewer steps; those that share a step count are
        # updated together (torch's foreach kernels: one call for all, not one per weight).
        groups: dict[int, list[tuple[str, torch.Tensor]]] = {}
        for name, p in self.named_parameters():
            if p.grad is not None:
                groups.setdefault(
                    self.moments[name][2] + 1 if name in self.moments else 1, []
                ).append((name, p))
        with torch.no_grad():
            for t, named in groups.items():
                ps = [p for _, p in named]
                grads = [cast(torch.Tensor, p.grad) for p in ps]  # grouped for having one
                ms, vs = [], []
                for name, p in named:
                    m, v, _ = self.moments.get(name) or (
                        torch.zeros_like(p),
                        torch.zeros_like(p),
                        0,
                    )
                    ms.append(m)
                    vs.append(v)
                    self.moments[name] = (m, v, t)
                torch._foreach_mul_(ms, betas[0])
                torch._foreach_add_(ms, grads, alpha=1 - betas[0])
                torch._foreach_mul_(vs, betas[1])
                torch._foreach_addcmul_(vs, grads, grads, value=1 - betas[1])
                denom = torch._foreach_div(vs, 1 - betas[1] ** t)
                torch._foreach_sqrt_(denom)
                torch._foreach_add_(denom, eps)
                step = torch._foreach_div(ms, 1 - betas[0] ** t)
                torch._foreach_mul_(step, self.lr)
                torch._foreach_div_(step, denom)
                torch._foreach_sub_(ps, step)
                for p in ps:
                    p.grad = None

    def state(self) -> tuple[dict[str, Any], np.ndarray]:
        """The weights and Adam's moments: their names, shapes and step counts as JSON-friendly
        data, and their values in one float64 array (each weight, then its two moments)."""
        names, shapes, steps, arrays = [], [], [], []
        for name, p in self.named_parameters():
            m, v, t = self.moments.get(name, (torch.zeros_like(p), torch.zeros_like(p), 0))
            names.append(name)
            shapes.append(list(p.shape))
            steps.append(t)
            arrays += [p.detach().reshape(-1), m.reshape(-1), v.reshape(-1)]
        meta = {
            "tokens": [
                [key, int(token.head_b.numel())] for key, token in sorted(self.tokens.items())
            ],
            "names": names,
            "shapes": shapes,
            "steps": steps,
        }
        return meta, torch.cat(arrays).numpy()

    def load(self, meta: dict[str, Any], data: np.ndarray) -> None:
        """Restore what :meth:`state` returned (bit for bit)."""
        for key, size in meta["tokens"]:
            self.token(key, size)
        params = dict(self.named_parameters())
        if sorted(params) != sorted(meta["names"]) or any(
            list(params[name].shape) != shape for name, shape in zip(meta["names"], meta["shapes"])
        ):
            raise ValueError("the snapshot holds other weights than this controller")
        flat = torch.from_numpy(np.asarray(data, dtype=np.float64))
        if flat.numel() != 3 * sum(params[name].numel() for name in meta["names"]):
            raise ValueError("the snapshot's data does not match its shapes")
        offset = 0
        self.moments.clear()
        with torch.no_grad():
            for name, shape, t in zip(meta["names"], meta["shapes"], meta["steps"]):
                p = params[name]
                n = p.numel()
                chunks = [
                    flat[offset + k * n : offset + (k + 1) * n].reshape(shape).clone()
                    for k in range(3)
                ]
                offset += 3 * n
                p.copy_(chunks[0])
                if t:
                    self.moments[name] = (chunks[1], chunks[2], t)
