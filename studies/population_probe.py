"""Probe a table setting before training a whole table: train G random canonical NB201 cells
as one PopulationNB201 and print the spread of final validation accuracy and Spearman(epoch k,
final), with the seconds per cell.

    python studies/population_probe.py SUBSET BATCH SCHEDULE G [EPOCHS [LR [SEED [OUT]]]]
    python studies/population_probe.py 1000 32 cosine 200        # what became PRUNING_SETTING

SEED picks the G cells (default 0); OUT, a path, keeps the curves (an .npz of ``rows`` and
``curves``, one row per cell) for studies/curve_length.py.
"""

import dataclasses
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr

from optunas.benchmarks import NUM_ARCHS, SETTING, arch_index, arch_ops, canonical
from optunas.nn._population import PopulationNB201

torch.set_num_threads(1)
subset, batch, schedule, G, epochs = (
    int(sys.argv[1]),
    int(sys.argv[2]),
    sys.argv[3],
    int(sys.argv[4]),
    int(sys.argv[5]) if len(sys.argv) > 5 else 10,
)
lr = float(sys.argv[6]) if len(sys.argv) > 6 else 0.01
seed = int(sys.argv[7]) if len(sys.argv) > 7 else 0
save = sys.argv[8] if len(sys.argv) > 8 else None
data = dataclasses.replace(SETTING, train_subset=subset).dataset()
x, y = data.train.tensors
xv, yv = data.valid.tensors
cells = sorted({arch_index(canonical(arch_ops(i))) for i in range(NUM_ARCHS)})
sample = np.random.default_rng(seed).choice(cells, size=G, replace=False)
torch.manual_seed(0)
pop = PopulationNB201([arch_ops(int(i)) for i in sample], 1, 10, channels=4, cells_per_stage=1)
opt = torch.optim.AdamW(pop.parameters(), lr=lr, weight_decay=5e-4)
spe = math.ceil(len(y) / batch)
sched = (
    torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * spe)
    if schedule == "cosine"
    else torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * spe)
)
gen = torch.Generator().manual_seed(0)
curves = []
t0 = time.perf_counter()
for _ in range(epochs):
    pop.train()
    order = torch.randperm(len(y), generator=gen)
    for s in range(spe):
        b = order[s * batch : (s + 1) * batch]
        out = pop(x[b])
        loss = F.cross_entropy(
            out.reshape(-1, 10), y[b].repeat_interleave(G), reduction="sum"
        ) / len(b)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    pop.eval()
    with torch.no_grad():
        curves.append((pop(xv).argmax(-1) == yv[:, None]).float().mean(0).numpy())
c = np.array(curves).T
dt = time.perf_counter() - t0
final = c[:, -1]
print(
    f"subset {subset} batch {batch} {schedule} lr {lr} epochs {epochs}: {dt:.0f} s, {1000 * dt / G:.0f} ms/cell; median {100 * np.median(final):.1f} p90 {100 * np.percentile(final, 90):.1f} best {100 * final.max():.1f}; "
    + " ".join(
        f"k{k}:{spearmanr(c[:, k - 1], final).statistic:.2f}" for k in (1, 2, 3, 5, 7) if k < epochs
    ),
    flush=True,
)
if save:
    np.savez_compressed(save, rows=sample, curves=c.astype(np.float32))
