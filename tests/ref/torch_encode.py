#!/usr/bin/python3
"""torch_encode.py: check ae-encode / ae-recon-error output against PyTorch.

usage: torch_encode.py DATASET CHECKPOINT OUT.h5 [--rtol 1e-5]

Loads the checkpoint's /state_dict into the equivalent nn.Sequential encoder and decoder
(layout in man/man5/aekit-checkpoint.5: Linear layers at even indices, activation modules at
the odd ones), runs every dataset row through them, L2-normalised as in training, in float64,
and compares with what OUT.h5 holds:
  latent_representations  |ours - torch| <= rtol * max|torch| per element (relative 1e-5 of the
                          scale of the codes; elementwise relative error is meaningless near 0)
  reconstruction_errors   |ours - torch| <= rtol * |torch| per element
  sample_id, targets, target_names  equal to the dataset's
Exits 1 with the worst offenders on a mismatch; prints one summary line otherwise.
"""
import argparse
import sys

import h5py
import numpy as np
import scipy.sparse as sp
import torch

import aemodel

ap = argparse.ArgumentParser()
ap.add_argument("dataset")
ap.add_argument("checkpoint")
ap.add_argument("out")
ap.add_argument("--rtol", type=float, default=1e-5)
a = ap.parse_args()


s = aemodel.text
model, dims, act, lat = aemodel.load(a.checkpoint)
model.double()

with h5py.File(a.dataset, "r") as f:
    indptr = f["indptr"][()].astype(np.int64)
    R = len(indptr) - 1
    C = int(f.attrs["num_features"]) if "num_features" in f.attrs else int(f["indices"][()].max()) + 1
    X = sp.csr_matrix((f["data"][()].astype(np.float32), f["indices"][()], indptr), shape=(R, C))
    ds_sid = f["sample_id"][()] if "sample_id" in f else np.arange(R, dtype=np.uint32)
    ds_targets = [np.asarray(t) for t in f["targets"][()]] if "targets" in f else None
    ds_names = [s(n) for n in f["target_names"][()]] if "target_names" in f else None

# L2-normalise each row in float32 as the training data path does; all-zero rows stay zero
Xd = X.toarray().astype(np.float32)
norms = np.linalg.norm(Xd.astype(np.float64), axis=1).astype(np.float32)
Xd = np.where(norms[:, None] > 0, Xd / np.where(norms > 0, norms, 1)[:, None], 0).astype(np.float32)
x = torch.from_numpy(Xd).double()
with torch.no_grad():
    z = model.encoder(x)
    err = ((model.decoder(z) - x) ** 2).mean(dim=1)
z, err = z.numpy(), err.numpy()

bad = []
with h5py.File(a.out, "r") as f:
    checked = []
    if "latent_representations" in f:
        ours = f["latent_representations"][()]
        if ours.shape != z.shape or ours.dtype != np.float32:
            bad.append(f"latent_representations: {ours.shape} {ours.dtype}, expected {z.shape} float32")
        else:
            scale = np.abs(z).max() or 1.0
            d = np.abs(ours.astype(np.float64) - z)
            rel = d.max() / scale
            checked.append(f"latent max rel {rel:.2e}")
            if not (d <= a.rtol * scale).all():
                i, j = np.unravel_index(np.argmax(d), d.shape)
                bad.append(f"latent_representations[{i},{j}] = {ours[i, j]!r}, torch {z[i, j]!r} "
                           f"(relative to max |z| {rel:.3e} > {a.rtol})")
    if "reconstruction_errors" in f:
        ours = f["reconstruction_errors"][()]
        if ours.shape != err.shape or ours.dtype != np.float32:
            bad.append(f"reconstruction_errors: {ours.shape} {ours.dtype}, expected {err.shape} float32")
        else:
            d = np.abs(ours.astype(np.float64) - err)
            tol = a.rtol * np.abs(err)
            rel = (d / np.where(err > 0, err, 1)).max()
            checked.append(f"errors max rel {rel:.2e}")
            if not (d <= tol).all():
                i = int(np.argmax(d - tol))
                bad.append(f"reconstruction_errors[{i}] = {ours[i]!r}, torch {err[i]!r} "
                           f"(max relative {rel:.3e} > {a.rtol})")
    if not checked:
        bad.append("neither latent_representations nor reconstruction_errors in " + a.out)
    if not np.array_equal(f["sample_id"][()], ds_sid):
        bad.append("sample_id differs from the dataset's")
    if "latent_representations" in f and ds_targets is not None:
        ours_t = [np.asarray(t) for t in f["targets"][()]]
        if len(ours_t) != R or any(not np.array_equal(p, q) for p, q in zip(ours_t, ds_targets)):
            bad.append("targets differ from the dataset's")
        if [s(n) for n in f["target_names"][()]] != ds_names:
            bad.append("target_names differ from the dataset's")

if bad:
    print("torch_encode: MISMATCH", *bad, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"torch_encode: {R} rows, dims {dims}, {act}/{lat}: " + ", ".join(checked) + " : OK")
