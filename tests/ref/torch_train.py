#!/usr/bin/python3
"""torch_train.py: the PyTorch reference for ae-train.

Loads an ae-init checkpoint into the equivalent nn.Sequential encoder/decoder, trains it with
torch.optim.AdamW on the rows of DATASET in dataset order (what `ae-train --no-shuffle
--val-split 0` does), in batches of --batch-size with the last partial batch, for --epochs, and
compares with what ae-train wrote:
  * every step's loss with train_loss_step of training_metrics.h5 (ae-train must have run with
    --log-every-n-steps 1), relative --loss-tol;
  * the final weights with state_dict of the ae-train checkpoint, relative --weight-tol
    (per tensor: ||a - b|| / ||b||, Frobenius norms).
Precision: 32-true is plain float32; bf16-mixed runs the forward pass under
torch.autocast("cpu", dtype=torch.bfloat16). CPU autocast in torch 1.13 has no float16, so
16-mixed is emulated here as the issue defines it: a custom autograd function rounds both operands
of every matrix product (forward and backward) to float16 and multiplies in float32, with
GradScaler's dynamic loss scaling written out (torch's GradScaler needs CUDA).
Exits 1 on any mismatch, printing the worst differences."""
import argparse
import math
import sys

import h5py
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

import aemodel

ap = argparse.ArgumentParser()
ap.add_argument("dataset")
ap.add_argument("init_ckpt")
ap.add_argument("trained_ckpt")
ap.add_argument("metrics")
ap.add_argument("--batch-size", type=int, default=32)
ap.add_argument("--epochs", type=int, default=1)
ap.add_argument("--lr", type=float, default=3e-4)
ap.add_argument("--wd", type=float, default=0.01)
ap.add_argument("--l1-alpha", type=float, default=0.0)
ap.add_argument("--precision", default="32-true")
ap.add_argument("--loss-tol", type=float, default=1e-5)
ap.add_argument("--weight-tol", type=float, default=1e-4)
a = ap.parse_args()
torch.set_num_threads(1)

class Fp16Linear(torch.autograd.Function):
    """y = x W^T + b with both operands of every product rounded to float16 (float32 sums)."""

    @staticmethod
    def forward(ctx, x, w, b):
        xr, wr = x.half().float(), w.half().float()
        ctx.save_for_backward(xr, wr)
        return xr @ wr.t() + b

    @staticmethod
    def backward(ctx, gy):
        xr, wr = ctx.saved_tensors
        gr = gy.half().float()
        return gr @ wr, gr.t() @ xr, gy.sum(0)


class Lin(nn.Linear):
    fp16 = False

    def forward(self, x):
        if Lin.fp16:
            return Fp16Linear.apply(x, self.weight, self.bias)
        return super().forward(x)


model, dims, act, latent = aemodel.load(a.init_ckpt, linear=Lin)
encoder, decoder = model.encoder, model.decoder

with h5py.File(a.dataset, "r") as f:
    data, ind, ptr = f["data"][()], f["indices"][()], f["indptr"][()]
    ncols = int(f.attrs["num_features"])
X = np.zeros((len(ptr) - 1, ncols), np.float32)
for r in range(len(ptr) - 1):
    v = data[ptr[r]:ptr[r + 1]].astype(np.float64)
    n = math.sqrt(float((v * v).sum()))
    X[r, ind[ptr[r]:ptr[r + 1]]] = (v / n).astype(np.float32) if n > 0 else 0
X = torch.from_numpy(X)

params = list(encoder.parameters()) + list(decoder.parameters())
opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.wd)
Lin.fp16 = a.precision == "16-mixed"
scale, tracker = 65536.0, 0
losses = []
for epoch in range(a.epochs):
    for s in range(0, X.shape[0], a.batch_size):
        x = X[s:s + a.batch_size]
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16-mixed"):
            z = encoder(x)
            r = decoder(z)
        loss = F.mse_loss(r.float(), x)
        if a.l1_alpha > 0:
            loss = loss + a.l1_alpha * z.float().abs().mean()
        losses.append(loss.item())
        if a.precision == "16-mixed":
            (loss * scale).backward()
            inv = torch.tensor(1.0 / scale, dtype=torch.float32)
            found = False
            for p in params:
                p.grad.mul_(inv)
                found |= not torch.isfinite(p.grad).all().item()
            if not found:
                opt.step()
            if found:
                scale, tracker = scale * 0.5, 0
            else:
                tracker += 1
                if tracker == 2000:
                    scale, tracker = scale * 2.0, 0
        else:
            loss.backward()
            opt.step()

bad = 0
with h5py.File(a.metrics, "r") as f:
    steps, ours = f["step"][()], f["train_loss_step"][()]
if len(ours) != len(losses) or list(steps) != list(range(1, len(losses) + 1)):
    print(f"ae-train logged {len(ours)} steps, PyTorch took {len(losses)} "
          "(run ae-train with --log-every-n-steps 1)")
    sys.exit(1)
ref = np.asarray(losses)
rel = np.abs(ours - ref) / np.abs(ref)
worst = int(rel.argmax())
print(f"{a.precision} {act}/{latent} l1={a.l1_alpha}: {len(ref)} steps, loss {ref[0]:.6g} -> "
      f"{ref[-1]:.6g}; worst step {worst + 1}: ae-train {ours[worst]:.9g}, PyTorch "
      f"{ref[worst]:.9g}, rel {rel[worst]:.2e} (tol {a.loss_tol:g})")
if rel[worst] > a.loss_tol:
    bad += 1
with h5py.File(a.trained_ckpt, "r") as f:
    trained = {k: v[()] for k, v in f["state_dict"].items()}
mine = {**{"encoder." + k: v for k, v in encoder.state_dict().items()},
        **{"decoder." + k: v for k, v in decoder.state_dict().items()}}
if sorted(mine) != sorted(trained):
    print(f"state_dict keys differ: {sorted(trained)} vs {sorted(mine)}")
    sys.exit(1)
wrel = {k: float(np.linalg.norm(trained[k] - v.numpy()) / np.linalg.norm(v.numpy()))
        for k, v in mine.items()}
wk = max(wrel, key=wrel.get)
print(f"  weights: worst {wk} rel {wrel[wk]:.2e} (tol {a.weight_tol:g})")
if wrel[wk] > a.weight_tol:
    bad += 1
sys.exit(1 if bad else 0)
