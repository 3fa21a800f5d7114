#!/usr/bin/python3
"""make_corpus.py: write a small generated corpus as an aekit dataset (h5py), for tests.

usage: make_corpus.py OUT.h5 ROWS COLS [--seed N] [--version 0|1] [--no-targets] [--max-nnz N]
                      [--untagged-every N]

Rows have Zipf-like column frequencies with a topic-dependent vocabulary, positive values,
and 1-3 topics each from the real RCV1 topic codes (tests/data/rcv1.topics.txt). Row 3 is left
empty (an all-zero row must stay zero after L2 normalisation). Version 0 is the Python tool's
layout (no sample_id, no format attributes); version 1 adds them.
"""
import argparse
import os

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("rows", type=int)
ap.add_argument("cols", type=int)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--version", type=int, default=1, choices=[0, 1])
ap.add_argument("--no-targets", action="store_true")
ap.add_argument("--untagged-every", type=int, default=0,
                help="every Nth row (from row 5) gets no topic")
ap.add_argument("--max-nnz", type=int, default=0, help="non-zeros per row at most (default COLS/3)")
a = ap.parse_args()

rng = np.random.default_rng(a.seed)
names = sorted(open(os.path.join(here, "..", "data", "rcv1.topics.txt")).read().split())
names_b = [n.encode() for n in names]
T = len(names)
# a per-topic permutation of the columns: topic t prefers its own vocabulary
perms = [rng.permutation(a.cols) for _ in range(T)]
zipf_p = 1.0 / np.arange(1, a.cols + 1) ** 1.1
zipf_p /= zipf_p.sum()

indptr = [0]
indices, data, targets = [], [], []
for r in range(a.rows):
    k = int(rng.integers(1, 4))
    topics = np.sort(rng.choice(T, size=k, replace=False)).astype(np.int32)
    if a.untagged_every and r % a.untagged_every == 5 % a.untagged_every:
        topics = topics[:0]
    targets.append(topics)
    if r == 3:
        indptr.append(indptr[-1])
        continue
    nnz = int(rng.integers(1, max(2, a.max_nnz or a.cols // 3)))
    vocab = perms[int(topics[0])] if topics.size else perms[0]
    ranks = rng.choice(a.cols, size=nnz, replace=False, p=zipf_p) if a.max_nnz == 0 else \
        np.unique(np.minimum(rng.zipf(1.5, size=nnz) - 1, a.cols - 1))
    cols = np.unique(vocab[ranks])
    vals = rng.gamma(2.0, 1.0, size=cols.size).astype(np.float32)
    vals /= np.linalg.norm(vals)   # ltc-like: unit norm rows (the tools normalise anyway)
    indices.append(cols.astype(np.int32))
    data.append(vals.astype(np.float32))
    indptr.append(indptr[-1] + cols.size)

indices = np.concatenate(indices) if indices else np.zeros(0, np.int32)
data = np.concatenate(data) if data else np.zeros(0, np.float32)
with h5py.File(a.out, "w") as f:
    f.create_dataset("data", data=data)
    f.create_dataset("indices", data=indices)
    f.create_dataset("indptr", data=np.asarray(indptr, dtype=np.int64))
    if not a.no_targets:
        vt = h5py.vlen_dtype(np.int32)
        t = f.create_dataset("targets", (a.rows,), dtype=vt)
        for i, x in enumerate(targets):
            t[i] = x
        f.create_dataset("target_names", data=np.array(names_b, dtype="S"))
    f.attrs["shape"] = np.array([a.rows, a.cols], dtype=np.int64)
    f.attrs["num_samples"] = a.rows
    f.attrs["num_features"] = a.cols
    f.attrs["num_target_categories"] = T
    f.attrs["original_num_features"] = a.cols
    if a.version == 1:
        f.create_dataset("sample_id", data=(2286 + np.arange(a.rows) * 3).astype(np.uint32))
        f.create_dataset("feature_ids", data=np.arange(1, a.cols + 1, dtype=np.int32))
        f.attrs["format"] = "aekit-dataset"
        f.attrs["format_version"] = 1
        f.attrs["created_by"] = "make_corpus.py (aekit tests)"
        f.attrs["created_at"] = "2026-01-01T00:00:00Z"
