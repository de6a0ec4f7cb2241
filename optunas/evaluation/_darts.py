"""Differentiable architecture search (DARTS) as a trial of an Optuna study.

DARTS relaxes each edge's choice to a softmax over its ops, with one vector of architecture
weights (alphas) per edge, and trains the network's weights and the alphas in turn: weights
on one half of the training split, alphas on the other (bilevel). The derived cell takes the
strongest op of each edge. The run lives in a checkpoint written atomically after every
epoch (:func:`~optunas.evaluation.save_checkpoint`), so a killed search resumes where it
stopped and ends as an uninterrupted one would.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any, cast

import optuna
import torch
import torch.nn.functional as F

from optunas._compat import fix_trial_params
from optunas._metrics import PARAMS_ATTR
from optunas.data import Dataset
from optunas.evaluation._checkpoint import (
    check_checkpoint_config,
    checkpoint_lock,
    load_checkpoint,
    save_checkpoint,
)
from optunas.evaluation._darts_steps import (
    DARTS_DERIVES,
    DartsResult,
    averaged_probabilities,
    cosine_lr,
    dartsminus_skip,
    derive,
    perturbation_select,
    unrolled_arch_gradient,
)
from optunas.evaluation._recipe import DivergedError, _accuracy_and_loss, check_choice
from optunas.evaluation._setup import resolve
from optunas.evaluation._supernet import STUDY_ATTR_DATASET
from optunas.evaluation._train import _INIT_LOCK, _latency_ms, _to_device
from optunas.nn import (
    DartsChain,
    DartsNB201,
    count_flops,
    count_params,
    recalibrate_batchnorm,
)
from optunas.spaces import (
    NB201,
    Chain,
    ChainGenotype,
    Genotype,
    NB201Genotype,
    SearchSpace,
)
from optunas.spaces._base import input_dims
from optunas.spaces._registry import STUDY_ATTR_SPACE, space_options, space_record

#: ``order``: 1 (alphas see the current weights) or 2 (the paper's one-step unrolled weights).
DARTS_ORDERS: tuple[int, ...] = (1, 2)
#: Guards against DARTS's collapse and seed variance; see :class:`DartsSearch`.
DARTS_GUARDS: tuple[str, ...] = ("none", "average", "dartsminus", "pt")
#: What the ``value_kind`` user attr of a DARTS trial says.
DARTS_ESTIMATE = "darts_estimate"
STUDY_ATTR_DARTS = "darts:settings"

_FORMAT = 1


class DartsSearch:
    """DARTS on the NAS-Bench-201 cell space or on the op choice of the Chain space,
    recorded as a trial of an Optuna study.

    Weights train on ``weight_fraction`` of the training split (SGD with momentum, cosine
    from ``lr`` to ``min_lr``), the alphas on the rest (Adam, as in the paper); ``order=1``
    takes the alphas' gradient at the current weights, ``order=2`` at the weights after one
    virtual step (:func:`unrolled_arch_gradient`), about three times the cost. On NB201
    every cell of the network shares the alphas (one row per edge), as in NAS-Bench-201's
    DARTS. On :class:`~optunas.spaces.Chain` the alphas hold one row per layer position
    (:class:`~optunas.nn.DartsChain`) and the search relaxes only the op of each position;
    the depth and each layer's kernel, width, activation and skips stay fixed: at the values
    ``fixed`` gives, by the space's param names, else at the space's defaults
    (``max_layers`` layers, the first of its ``kernels``, ``widths`` and ``activations``, no
    skips; :meth:`~optunas.spaces.Chain.fixed_layers`). The derived chain, fixed choices
    included, becomes the trial's params as a derived cell does.

    :meth:`run` (or calling the object as an objective) reports, after each epoch, the
    derived cell's validation accuracy with the supernet's weights as the trial's
    intermediate value and stores the softmax of the alphas, rounded, in the user attr
    ``darts_alphas/EPOCH`` (rows: edges or layer positions; columns: the ops of
    ``darts_ops``). At the end the derived cell becomes the trial's params, in the space's own names and distributions: it
    enters the trial the way ``study.enqueue_trial`` params do (Optuna's fixed params), then
    the space suggests it, so ``space.genotype(trial.params)`` rebuilds it, the dashboard
    shows it beside sampler-found cells, and ``retrain_top`` trains it standalone (the study
    records its space and dataset). The trial's value is that cell's validation accuracy
    with the supernet's weights, ``value_kind`` ``"darts_estimate"``; the user attrs also hold
    the final alphas (``darts_alphas``, before the softmax), ``genotype``, ``genotype_json``,
    ``params``, ``flops`` and ``latency_ms`` of the standalone cell, and ``search_seconds``.

    Guards (``guard``) against collapse and seed variance: ``"average"`` (the softmax
    averaged over the last ``guard_strength`` share of the epochs), ``"dartsminus"`` (DARTS-'s
    decaying auxiliary skip) and ``"pt"`` (perturbation-based selection, the default); what
    each does and the measurements that chose the default are in
    :mod:`optunas.evaluation._darts_steps`.

    Each epoch's intermediate value scores the cell the alphas give (``derive``); the final
    cell, the trial's params and value, is the guard's.

    Args:
        space: An :class:`~optunas.spaces.NB201` or :class:`~optunas.spaces.Chain` space,
            or its name.
        dataset: A :class:`~optunas.data.Dataset` or a name for
            :func:`~optunas.data.load_dataset`.
        epochs: Search epochs.
        order: 1 or 2.
        batch_size: Minibatch size of both splits.
        lr: Peak learning rate of the weights.
        min_lr: Final learning rate of the weights.
        momentum: Momentum of the weights' SGD.
        weight_decay: Weight decay of the weights.
        arch_lr: Learning rate of the alphas (Adam, betas 0.5 and 0.999). About thirty times
            the paper's 3e-4: a search on a few thousand samples takes a few hundred steps,
            in which the paper's rate barely moves the alphas; with perturbation-based
            selection 1e-2 measured better than 3e-3 (82nd against 63rd percentile).
        arch_weight_decay: Weight decay of the alphas.
        weight_fraction: Share of the training split the weights train on; the alphas train
            on the rest.
        guard: ``"none"``, ``"average"``, ``"dartsminus"`` or ``"pt"``.
        guard_strength: The averaged share of epochs (``"average"``), or the initial
            auxiliary skip (``"dartsminus"``); ignored otherwise.
        derive: ``"darts"`` (the strongest op other than ``none``, the paper's rule) or
            ``"nb201"`` (``none`` included, as NAS-Bench-201's DARTS code does). Measured here,
            excluding ``none`` lifts the derived cells from the 54th to the 85th percentile.
        calibration_batches: Training batches that re-estimate the derived cell's batch norm
            before it is scored.
        checkpoint: File of the search's state, written after every epoch; a run finds it
            and resumes. ``None`` keeps the state in memory only.
        fixed: Chain only: the choices other than the ops, by param name
            (``chain/num_layers``, ``layer_i/kernel``, ``layer_i/width``,
            ``layer_i/activation``, ``layer_i/skip_j``); those not given take the space's
            defaults (see above).
        seed: Seed of the initial weights, the split and the data order.
        device: A torch device; by default CUDA when available, else CPU.
        data_root: Folder of torchvision datasets.
        download: Let torchvision download a missing dataset.
        draw: Record a drawing of the derived cell for optuna-dashboard, as
            :class:`~optunas.evaluation.TrainObjective` does.
        artifact_store: Where the drawing goes, as for
            :class:`~optunas.evaluation.TrainObjective`.

    Example:
        >>> import optuna
        >>> from optunas.data import load_mnist1d
        >>> from optunas.evaluation import DartsSearch
        >>> from optunas.spaces import NB201
        >>> space = NB201(channels=2)
        >>> search = DartsSearch(space, load_mnist1d(num_samples=300), epochs=2, batch_size=50)
        >>> study = optuna.create_study(direction="maximize")
        >>> study.optimize(search, n_trials=1)
        >>> trial = study.best_trial
        >>> sorted(trial.intermediate_values), len(trial.user_attrs["darts_alphas/2"])
        ([1, 2], 6)
        >>> str(space.genotype(trial.params)) == trial.user_attrs["genotype"]
        True

        The ops of a chain, its depth and widths fixed:

        >>> from optunas.spaces import Chain
        >>> chain = Chain(max_layers=3, widths=(4, 8), stem_width=4)
        >>> fixed = {"chain/num_layers": 2, "layer_2/width": 8, "layer_2/skip_0": True}
        >>> search = DartsSearch(chain, load_mnist1d(num_samples=300), epochs=1, batch_size=50,
        ...                      fixed=fixed)
        >>> trial = optuna.create_study(direction="maximize").ask()
        >>> result = search.run(trial)
        >>> chain.genotype(trial.params) == result.genotype, len(result.alphas)
        (True, 2)
        >>> trial.params["layer_2/skip_0"], len(result.genotype.layers)
        (True, 2)
    """

    def __init__(
        self,
        space: SearchSpace | str = "nb201",
        dataset: Dataset | str = "mnist1d",
        *,
        epochs: int = 50,
        order: int = 1,
        batch_size: int = 64,
        lr: float = 0.025,
        min_lr: float = 0.001,
        momentum: float = 0.9,
        weight_decay: float = 3e-4,
        arch_lr: float = 1e-2,
        arch_weight_decay: float = 1e-3,
        weight_fraction: float = 0.5,
        guard: str = "pt",
        guard_strength: float | None = None,
        derive: str = "darts",
        calibration_batches: int = 4,
        checkpoint: str | os.PathLike[str] | None = None,
        fixed: Mapping[str, Any] | None = None,
        seed: int = 0,
        device: str | torch.device | None = None,
        data_root: str | os.PathLike[str] | None = None,
        download: bool = False,
        draw: bool = True,
        artifact_store: Any = None,
    ) -> None:
        if order not in DARTS_ORDERS:
            raise ValueError(f"order must be 1 or 2, got {order!r}")
        check_choice("guard", guard, DARTS_GUARDS)
        check_choice("derive", derive, DARTS_DERIVES)
        if epochs < 1 or batch_size < 1 or calibration_batches < 0:
            raise ValueError(
                "epochs and batch_size must be positive and calibration_batches not negative"
            )
        if not 0.0 < weight_fraction < 1.0:
            raise ValueError(f"weight_fraction must lie in (0, 1), got {weight_fraction}")
        if lr <= 0 or arch_lr <= 0 or min_lr < 0:
            raise ValueError("lr and arch_lr must be positive and min_lr not negative")
        if guard_strength is None:
            guard_strength = {"average": 0.5, "dartsminus": 1.0}.get(guard, 0.0)
        if guard == "average" and not 0.0 < guard_strength <= 1.0:
            raise ValueError(
                f"guard 'average' needs guard_strength in (0, 1] (the averaged share of "
                f"epochs), got {guard_strength}"
            )
        if guard_strength < 0:
            raise ValueError(f"guard_strength must not be negative, got {guard_strength}")
        resolved, self.dataset, self.device = resolve(
            space, dataset, seed, device, data_root, download, (NB201, Chain), "DartsSearch"
        )
        assert isinstance(resolved, (NB201, Chain))  # resolve refuses every other space
        self.space: NB201 | Chain = resolved
        if fixed is not None and not isinstance(self.space, Chain):
            raise ValueError("fixed applies to the Chain space only")
        # The Chain space's choices other than the ops, fixed for the whole search.
        self.layers = self.space.fixed_layers(fixed) if isinstance(self.space, Chain) else None
        self.epochs, self.order, self.batch_size = epochs, order, batch_size
        self.lr, self.min_lr, self.momentum, self.weight_decay = lr, min_lr, momentum, weight_decay
        self.arch_lr, self.arch_weight_decay = arch_lr, arch_weight_decay
        self.weight_fraction, self.guard, self.guard_strength = (
            weight_fraction,
            guard,
            float(guard_strength),
        )
        self.derive_rule, self.calibration_batches, self.seed = derive, calibration_batches, seed
        self.checkpoint = None if checkpoint is None else os.path.abspath(os.fspath(checkpoint))
        self.draw, self.artifact_store = draw, artifact_store
        self._reset()

    # -- state --------------------------------------------------------------------------

    def _reset(self) -> None:
        shape = self.dataset.input_shape
        with _INIT_LOCK:
            torch.manual_seed(self.seed)
            self.supernet = self._build_supernet(shape).to(self.device)
            self.alphas = (1e-3 * torch.randn(self.supernet.num_mixed, len(self.supernet.ops))).to(
                self.device
            )
        self.alphas.requires_grad_(True)
        self._weights = list(self.supernet.parameters())
        self._w_optimizer = torch.optim.SGD(
            self._weights, self.lr, momentum=self.momentum, weight_decay=self.weight_decay
        )
        self._a_optimizer = torch.optim.Adam(
            [self.alphas], self.arch_lr, betas=(0.5, 0.999), weight_decay=self.arch_weight_decay
        )
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        x, y = self.dataset.train.tensors
        split = torch.randperm(len(y), generator=torch.Generator().manual_seed(self.seed))
        cut = max(1, min(len(y) - 1, round(len(y) * self.weight_fraction)))
        self._w_split = (x[split[:cut]].to(self.device), y[split[:cut]].to(self.device))
        self._a_split = (x[split[cut:]].to(self.device), y[split[cut:]].to(self.device))
        self._valid = _to_device(self.dataset.valid, self.device)
        self._calibration = [
            self._w_split[0][k * self.batch_size : (k + 1) * self.batch_size]
            for k in range(min(self.calibration_batches, math.ceil(cut / self.batch_size)))
        ]

    def _build_supernet(self, shape: Sequence[int]) -> DartsNB201 | DartsChain:
        if isinstance(self.space, NB201):
            return DartsNB201(
                shape[0],
                self.dataset.num_classes,
                input_dims(shape),
                channels=self.space.channels,
                cells_per_stage=self.space.cells_per_stage,
            )
        assert self.layers is not None  # a Chain space's fixed layers
        return DartsChain(
            self.layers,
            shape[0],
            self.dataset.num_classes,
            input_dims(shape),
            ops=self.space.ops,
            kernels=self.space.kernels,
            widths=self.space.widths,
            activations=self.space.activations,
            stem_width=self.space.stem_width,
        )

    def genotype(self, ops: Sequence[str]) -> NB201Genotype | ChainGenotype:
        """The genotype of one op per edge (NB201) or per layer position (Chain)."""
        if isinstance(self.supernet, DartsChain):
            return ChainGenotype(self.supernet.path(ops))
        return NB201Genotype(self.supernet.path(ops))

    def _params(self, genotype: Genotype) -> dict[str, Any]:
        """The space's params of ``genotype``, a genotype of the space's own kind."""
        if isinstance(self.space, NB201):
            return self.space.params(cast(NB201Genotype, genotype))
        return self.space.params(cast(ChainGenotype, genotype))

    def settings(self) -> dict[str, Any]:
        """The search's options besides space and dataset, as JSON values."""
        return {
            "epochs": self.epochs,
            "order": self.order,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "min_lr": self.min_lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "arch_lr": self.arch_lr,
            "arch_weight_decay": self.arch_weight_decay,
            "weight_fraction": self.weight_fraction,
            "guard": self.guard,
            "guard_strength": self.guard_strength,
            "derive": self.derive_rule,
            "calibration_batches": self.calibration_batches,
            "seed": self.seed,
            **(
                {}
                if self.layers is None
                else {"fixed_layers": ChainGenotype(self.layers).to_dict()["layers"]}
            ),
        }

    def _config(self) -> dict[str, Any]:
        # ``epochs`` may grow on resume (a longer search goes on), everything else must match;
        # the cosine's length is part of the weights' trajectory, so it must match as well.
        return {
            "space": self.space.name,
            **space_options(self.space),
            "dataset": self.dataset.name,
            "input_shape": list(self.dataset.input_shape),
            "train_size": len(self.dataset.train),
            **self.settings(),
        }

    def _save(self) -> None:
        if self.checkpoint is None:
            return
        save_checkpoint(
            self.checkpoint,
            {
                "format": _FORMAT,
                "config": self._config(),
                "model": {k: v.detach().cpu() for k, v in self.supernet.state_dict().items()},
                "alphas": self.alphas.detach().cpu(),
                "w_optimizer": self._w_optimizer.state_dict(),
                "a_optimizer": self._a_optimizer.state_dict(),
                "epoch": self.epoch,
                "history": self.history,
            },
            lock=False,
        )

    def load(self) -> None:
        """Take up the checkpoint's state, if there is one (:meth:`run` does it first);
        :class:`~optunas.evaluation.CheckpointMismatchError` if it is another setting's."""
        if self.checkpoint is None or not os.path.exists(self.checkpoint):
            return
        payload = load_checkpoint(self.checkpoint, map_location=self.device)
        check_checkpoint_config(payload, _FORMAT, self._config(), self.checkpoint, "a DARTS search")
        self.supernet.load_state_dict(payload["model"])
        with torch.no_grad():
            self.alphas.copy_(payload["alphas"])
        self._w_optimizer.load_state_dict(payload["w_optimizer"])
        self._a_optimizer.load_state_dict(payload["a_optimizer"])
        self.epoch = int(payload["epoch"])
        self.history = list(payload["history"])

    # -- one epoch ----------------------------------------------------------------------

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor], skip: float) -> torch.Tensor:
        logits = self.supernet(batch[0], torch.softmax(self.alphas, dim=1), skip)
        return F.cross_entropy(logits, batch[1])

    def _train_epoch(self) -> float:
        epoch = self.epoch
        lr = cosine_lr(self.lr, self.min_lr, epoch, self.epochs)
        for group in self._w_optimizer.param_groups:
            group["lr"] = lr
        skip = dartsminus_skip(self.guard, self.guard_strength, epoch, self.epochs)
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        (xw, yw), (xa, ya) = self._w_split, self._a_split
        w_order = torch.randperm(len(yw), generator=generator).to(self.device)
        a_order = torch.randperm(len(ya), generator=generator).to(self.device)
        steps = math.ceil(len(yw) / self.batch_size)
        self.supernet.train()
        total = 0.0
        for k in range(steps):
            wi = w_order[k * self.batch_size : (k + 1) * self.batch_size]
            # The alpha split may be smaller; it wraps around.
            start = k * self.batch_size
            ai = a_order[torch.arange(start, start + len(wi), device=self.device) % len(ya)]
            train, valid = (xw[wi], yw[wi]), (xa[ai], ya[ai])
            # The alphas first, at the current weights (or one virtual step ahead).
            self._a_optimizer.zero_grad(set_to_none=True)
            if self.order == 1:
                self.alphas.grad = torch.autograd.grad(self._loss(valid, skip), self.alphas)[0]
            else:
                self.alphas.grad = unrolled_arch_gradient(
                    lambda batch: self._loss(batch, skip),
                    self._weights,
                    self.alphas,
                    train,
                    valid,
                    xi=lr,
                    weight_decay=self.weight_decay,
                )
            self._a_optimizer.step()
            # Then the weights, at the new alphas.
            self._w_optimizer.zero_grad(set_to_none=True)
            loss = self._loss(train, skip)
            if not torch.isfinite(loss):
                raise DivergedError(f"DARTS loss became {loss.item()} in epoch {epoch + 1}")
            grads = torch.autograd.grad(loss, self._weights)
            for w, g in zip(self._weights, grads):
                w.grad = g
            torch.nn.utils.clip_grad_norm_(self._weights, 5.0)
            self._w_optimizer.step()
            total += loss.item() * len(wi)
        return total / len(yw)

    # -- deriving and scoring -----------------------------------------------------------

    def probabilities(self) -> torch.Tensor:
        """The softmax of the current alphas, one row per edge or layer position."""
        return torch.softmax(self.alphas.detach(), dim=1).cpu()

    def _score(self, ops: Sequence[str]) -> float:
        path: tuple[Any, ...] = self.supernet.path(ops)  # op names or layer specs
        net = self.supernet.network(path)
        if self._calibration:
            recalibrate_batchnorm(net, self._calibration)
        return _accuracy_and_loss(net, self._valid)[0]

    def derived(self) -> tuple[str, ...]:
        """The cell the search derives now, by the guard's rule (see the class docstring)."""
        if self.guard == "pt":
            weights = self.probabilities().to(self.device)
            return perturbation_select(self.supernet, weights, self._valid.tensors)
        if self.guard == "average" and self.history:
            averaged = averaged_probabilities(self.history, self.guard_strength)
            return derive(averaged, self.supernet.ops, self.derive_rule)
        return derive(self.alphas, self.supernet.ops, self.derive_rule)

    # -- a trial ------------------------------------------------------------------------

    def _record_study(self, trial: optuna.trial.BaseTrial) -> None:
        study = getattr(trial, "study", None)
        if study is None:
            return
        attrs = study.user_attrs
        if STUDY_ATTR_SPACE not in attrs:
            study.set_user_attr(STUDY_ATTR_SPACE, space_record(self.space))
        if STUDY_ATTR_DATASET not in attrs:
            study.set_user_attr(STUDY_ATTR_DATASET, self.dataset.name)
        study.set_user_attr(STUDY_ATTR_DARTS, self.settings())

    def _report(self, trial: optuna.trial.BaseTrial, record: dict[str, Any]) -> None:
        epoch = record["epoch"]
        trial.report(record["value"], epoch)
        trial.set_user_attr(f"darts_alphas/{epoch}", record["probabilities"])
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after DARTS epoch {epoch}")

    def _record_params(self, trial: optuna.trial.BaseTrial, genotype: Genotype) -> None:
        params = self._params(genotype)
        clash = {k: v for k, v in trial.params.items() if k in params and params[k] != v}
        if clash:
            raise ValueError(
                f"the trial already holds cell params {clash} other than the derived cell's"
            )
        if isinstance(trial, optuna.trial.Trial):
            # The space's own suggest calls then record them with its distributions.
            fix_trial_params(trial, params)
        if self.space.suggest(trial) != genotype:
            raise ValueError(
                f"the trial's params do not give the derived cell {genotype}: a FixedTrial "
                "must hold the derived params"
            )

    def run(
        self, trial: optuna.trial.BaseTrial | None = None, *, show_progress_bar: bool = False
    ) -> DartsResult:
        """Search (or resume from the checkpoint) until ``epochs``, reporting each epoch to
        ``trial``, and return the derived cell; ``trial`` then holds it as its params.

        Epochs a checkpoint already holds are reported to ``trial`` again, so a trial that
        resumes a killed one's search carries the whole curve.
        """
        if trial is not None:
            self._record_study(trial)
            trial.set_user_attr("darts_ops", list(self.supernet.ops))
        bar = None
        if show_progress_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.epochs, desc=f"DARTS (order {self.order})", unit="epoch")
        try:
            # One search per checkpoint at a time: a second process waits, then resumes.
            lock = checkpoint_lock(self.checkpoint) if self.checkpoint else nullcontext()
            with lock:
                self.load()
                if trial is not None:
                    for record in self.history:
                        self._report(trial, record)
                if bar is not None:
                    bar.update(min(self.epoch, self.epochs))
                while self.epoch < self.epochs:
                    started = time.perf_counter()
                    loss = self._train_epoch()
                    self.epoch += 1
                    ops = derive(self.alphas, self.supernet.ops, self.derive_rule)
                    record = {
                        "epoch": self.epoch,
                        "value": self._score(ops),
                        "genotype": str(self.genotype(ops)),
                        "probabilities": [
                            [round(p, 3) for p in row] for row in self.probabilities().tolist()
                        ],
                        "loss": loss,
                        "seconds": time.perf_counter() - started,
                    }
                    self.history.append(record)
                    self._save()
                    if trial is not None:
                        self._report(trial, record)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{loss:.3f}", valid=f"{record['value']:.3f}")
        finally:
            if bar is not None:
                bar.close()
        ops = self.derived()
        genotype = self.genotype(ops)
        path: tuple[Any, ...] = self.supernet.path(ops)  # op names or layer specs
        net = self.supernet.network(path)
        value = self._score(ops)
        result = DartsResult(
            genotype=genotype,
            params=self._params(genotype),
            value=value,
            alphas=[[round(a, 4) for a in row] for row in self.alphas.detach().cpu().tolist()],
            history=list(self.history),
        )
        if trial is not None:
            self._record_params(trial, genotype)
            trial.set_user_attr("space", repr(self.space))
            trial.set_user_attr("genotype", str(genotype))
            trial.set_user_attr("genotype_json", genotype.to_json())
            trial.set_user_attr(PARAMS_ATTR, count_params(net))
            trial.set_user_attr("flops", count_flops(net, self.dataset.input_shape))
            trial.set_user_attr(
                "latency_ms", _latency_ms(net, self.dataset.input_shape, self.device)
            )
            trial.set_user_attr("value_kind", DARTS_ESTIMATE)
            trial.set_user_attr("darts_alphas", result.alphas)
            if self.draw:
                from optunas.dashboard import draw_trial

                draw_trial(trial, self.space, genotype, self.artifact_store)
            trial.set_user_attr("search_seconds", round(sum(r["seconds"] for r in self.history), 2))
        return result

    def __call__(self, trial: optuna.trial.BaseTrial) -> float:
        return self.run(trial).value

    def __repr__(self) -> str:
        return (
            f"DartsSearch({self.space!r}, {self.dataset.name!r}, order={self.order}, "
            f"guard={self.guard!r}, epochs={self.epochs})"
        )
