#!/usr/bin/python3
"""torch_train_ckpt.py: make a trained checkpoint without ae-train, for the encode tests.

usage: torch_train_ckpt.py INIT.ckpt DATASET OUT.ckpt [--steps N] [--lr X] [--seed N]

Copies INIT.ckpt (from ae-init), loads its /state_dict into the equivalent PyTorch model,
trains it with torch.optim.AdamW on L2-normalised dataset rows (batches of 32 drawn with a
seeded generator) for N steps, and writes the trained weights back into OUT.ckpt's
/state_dict, with epoch and global_step updated. Everything else is ae-init's.
"""
import argparse
import shutil

import h5py
import numpy as np
import scipy.sparse as sp
import torch

import aemodel

ap = argparse.ArgumentParser()
ap.add_argument("init")
ap.add_argument("dataset")
ap.add_argument("out")
ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--lr", type=float, default=3e-3)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()


shutil.copyfile(a.init, a.out)
model, dims, act, lat = aemodel.load(a.out)

with h5py.File(a.dataset, "r") as f:
    indptr = f["indptr"][()].astype(np.int64)
    X = sp.csr_matrix((f["data"][()], f["indices"][()], indptr),
                      shape=(len(indptr) - 1, dims[0])).toarray().astype(np.float32)
n = np.linalg.norm(X, axis=1, keepdims=True)
X = torch.from_numpy(np.where(n > 0, X / np.where(n > 0, n, 1), 0).astype(np.float32))

torch.manual_seed(a.seed)
opt = torch.optim.AdamW(model.parameters(), lr=a.lr)
for step in range(a.steps):
    idx = torch.randint(0, X.shape[0], (32,))
    x = X[idx]
    loss = ((model.decoder(model.encoder(x)) - x) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

with h5py.File(a.out, "r+") as f:
    for k, v in model.state_dict().items():
        f["state_dict"][k][...] = v.detach().numpy()
    f.attrs["epoch"] = np.int64(0)
    f.attrs["global_step"] = np.int64(a.steps)
    f.attrs["val_loss"] = float(loss.item())
print(f"torch_train_ckpt: {a.steps} steps, final loss {loss.item():.6g}")
