#!/usr/bin/python3
"""make_h5.py: write synthetic test HDF5 files with h5py, independently of aekit's writer.

  make_h5.py csr OUT.h5 [--rows R] [--cols C] [--seed S] [--aekit] [--int32-indptr]
             [--float64] [--vlen-names] [--compress] [--no-targets] [--labels]
             [--empty-every K] [--untagged-every N] [--max-nnz N] [--expect]
      A corpus in the Python tool's rcv1_dataset.h5 layout (what autoencoder_nlp's
      download-dataset wrote): CSR at the root (/data float32, /indices 0-based int32,
      /indptr int64), /targets (variable-length int32, topic indices ascending), /target_names
      (the 103 RCV1 topic codes of tests/data/rcv1.topics.txt, bytewise order, fixed-length
      strings), root attributes shape, num_samples, num_features, num_target_categories,
      original_num_features (3C: the columns are a feature subset, as with --n-features).
      Nothing aekit adds, so a reader must take it as format version 0.

      Content (deterministic for --seed): each row gets 1-3 RCV1 topics with their ancestors
      (C151 -> C15 -> CCAT) and 1..N non-zeros (N = --max-nnz, default min(40, C/3)) drawn
      with Zipf-like ranks from a vocabulary permuted per topic, so document frequencies have
      a clear head and ties; positive values scaled to unit L2 norm. Row 3 (0-based) is empty
      (an all-zero row must stay zero after L2 normalisation), and so is each row r with
      r % K == K-1 under --empty-every K; each row r with r % N == 5 % N has no topic under
      --untagged-every N. Files of the same seed with and without --aekit hold the same rows.

      --aekit         the version-1 parts: /sample_id (2286 + 3 * row, uint32), /feature_ids
                      (C sorted ids out of 1..3C), attributes format, format_version,
                      created_by, created_at
      --int32-indptr  /indptr as int32 (the default is int64)
      --float64       /data as float64 (the default is float32)
      --vlen-names    /target_names as variable-length strings (the default is fixed-length)
      --compress      chunked, gzip level 4 datasets (the default is contiguous, uncompressed)
      --no-targets    no /targets, /target_names (num_target_categories 0)
      --labels        /labels float32 in {-1, 0, 1}, as a classifier's label vector
      --expect        print, as one JSON object on stdout, what a reader should find: rows,
                      cols, nnz, non-zeros per row (min, max, mean), empty rows, value
                      min/max (null without values); with targets also documents per topic,
                      topics per document (min, max, mean), documents without topics

  make_h5.py dense OUT.h5 [--rows R] [--cols C] [--seed S]
      /codes float32 [R x C] with exact zeros (ReLU-like), /errors float32 [R], /sample_id.

Real RCV1 vectors: make_dataset.py; a corpus of the full RCV1 size: make_big.py.
"""
import argparse
import json
import os

import h5py
import numpy as np

TOPICS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                           "rcv1.topics.txt")


def topic_names():
    with open(TOPICS_FILE) as f:
        return sorted(f.read().split())


def parent_of(code, known):
    """RCV1's hierarchy by name: C151 -> C15 -> CCAT, E11 -> ECAT; None for a root."""
    if code.endswith("CAT"):
        return None
    if len(code) > 3 and code[:-1] in known:
        return code[:-1]
    return code[0] + "CAT"


def corpus(a, rng, names):
    """The rows and topics: indptr (int64), indices (int32), data (float64), targets."""
    R, C, T = a.rows, a.cols, len(names)
    known = set(names)
    index = {n: i for i, n in enumerate(names)}
    perms = [rng.permutation(C) for _ in range(T)]   # topic t prefers its own vocabulary
    zipf_p = 1.0 / np.arange(1, C + 1) ** 1.1
    zipf_p /= zipf_p.sum()
    max_nnz = min(C, a.max_nnz or max(1, min(40, C // 3)))
    indptr = [0]
    indices, data, targets = [], [], []
    for r in range(R):
        drawn = rng.choice(T, size=int(rng.integers(1, 4)), replace=False)
        codes = set()
        for t in drawn:
            c = names[int(t)]
            while c is not None:
                codes.add(c)
                c = parent_of(c, known)
        if a.untagged_every and r % a.untagged_every == 5 % a.untagged_every:
            codes = set()
        targets.append(np.array(sorted(index[c] for c in codes), dtype=np.int32))
        nnz = int(rng.integers(1, max_nnz + 1))
        ranks = rng.choice(C, size=nnz, replace=False, p=zipf_p)
        cols = np.sort(perms[int(drawn[0])][ranks])
        vals = rng.gamma(2.0, 1.0, size=nnz)
        if r == 3 or (a.empty_every and r % a.empty_every == a.empty_every - 1):
            cols, vals = cols[:0], vals[:0]
        else:
            vals /= np.linalg.norm(vals)
        indices.append(cols.astype(np.int32))
        data.append(vals)
        indptr.append(indptr[-1] + cols.size)
    return (np.array(indptr, dtype=np.int64), np.concatenate(indices), np.concatenate(data),
            targets)


def expectations(a, names, indptr, data, targets):
    nnz = np.diff(indptr)
    exp = {"rows": a.rows, "cols": a.cols, "nnz": int(indptr[-1]),
           "nnz_per_row": {"min": int(nnz.min()), "max": int(nnz.max()),
                           "mean": float(nnz.mean())},
           "empty_rows": int(np.sum(nnz == 0)),
           "value_min": float(data.min()) if data.size else None,
           "value_max": float(data.max()) if data.size else None}
    if not a.no_targets:
        per_topic = {}
        for row in targets:
            for k in row:
                per_topic[names[k]] = per_topic.get(names[k], 0) + 1
        tn = np.array([len(t) for t in targets])
        exp.update({"docs_per_topic": per_topic,
                    "topics_per_doc": {"min": int(tn.min()), "max": int(tn.max()),
                                       "mean": float(tn.mean())},
                    "docs_without_topics": int(np.sum(tn == 0))})
    return exp


def make_csr(a):
    rng = np.random.default_rng(a.seed)
    R, C = a.rows, a.cols
    names = topic_names()
    indptr, indices, data, targets = corpus(a, rng, names)
    data = data.astype(np.float64 if a.float64 else np.float32)
    kw = {"compression": "gzip", "compression_opts": 4, "chunks": True} if a.compress else {}
    with h5py.File(a.out, "w") as f:
        f.create_dataset("data", data=data, **kw)
        f.create_dataset("indices", data=indices, **kw)
        f.create_dataset("indptr", data=indptr.astype(np.int32 if a.int32_indptr else np.int64),
                         **kw)
        if not a.no_targets:
            tg = np.empty(R, dtype=object)
            for i, row in enumerate(targets):   # one by one: equal lengths must not broadcast
                tg[i] = row
            f.create_dataset("targets", data=tg, dtype=h5py.vlen_dtype(np.int32), **kw)
            if a.vlen_names:
                f.create_dataset("target_names", data=[n.encode() for n in names],
                                 dtype=h5py.string_dtype("ascii"), **kw)
            else:
                f.create_dataset("target_names",
                                 data=np.array([n.encode() for n in names], dtype="S"), **kw)
        f.attrs["shape"] = np.array([R, C], dtype=np.int64)
        f.attrs["num_samples"] = R
        f.attrs["num_features"] = C
        f.attrs["num_target_categories"] = 0 if a.no_targets else len(names)
        f.attrs["original_num_features"] = 3 * C
        if a.labels:
            f.create_dataset("labels", data=rng.integers(-1, 2, size=R).astype(np.float32))
        if a.aekit:
            fid = np.sort(rng.choice(np.arange(1, 3 * C + 1), size=C, replace=False))
            f.create_dataset("feature_ids", data=fid.astype(np.int32))
            f.create_dataset("sample_id", data=(np.arange(R) * 3 + 2286).astype(np.uint32))
            f.attrs["format"] = "aekit-dataset"
            f.attrs["format_version"] = 1
            f.attrs["created_by"] = "make_h5.py (aekit tests)"
            f.attrs["created_at"] = "2026-01-01T00:00:00Z"
    if a.expect:
        print(json.dumps(expectations(a, names, indptr, data, targets), sort_keys=True))


def make_dense(a):
    rng = np.random.default_rng(a.seed)
    R, C = a.rows, a.cols
    x = rng.normal(size=(R, C)).astype(np.float32) * np.linspace(0.5, 3, C).astype(np.float32)
    x[x < 0.2] = 0          # ReLU-like: many exact zeros
    x[:, 0] = 0             # one dead unit
    x[: R // 3, 1] = 1e-7   # below the default tolerance
    err = rng.gamma(2.0, 0.01, size=R).astype(np.float32)
    with h5py.File(a.out, "w") as f:
        f.create_dataset("codes", data=x, chunks=(min(R, 100), C), compression="gzip")
        f.create_dataset("errors", data=err)
        f.create_dataset("sample_id", data=np.arange(R, dtype=np.uint32))


def main():
    p = argparse.ArgumentParser(prog="make_h5.py")
    p.add_argument("kind", choices=["csr", "dense"])
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--cols", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--aekit", action="store_true")
    p.add_argument("--int32-indptr", action="store_true")
    p.add_argument("--float64", action="store_true")
    p.add_argument("--vlen-names", action="store_true")
    p.add_argument("--compress", action="store_true")
    p.add_argument("--no-targets", action="store_true")
    p.add_argument("--labels", action="store_true")
    p.add_argument("--empty-every", type=int, default=0)
    p.add_argument("--untagged-every", type=int, default=0)
    p.add_argument("--max-nnz", type=int, default=0)
    p.add_argument("--expect", action="store_true")
    a = p.parse_args()
    if a.rows < 1 or a.cols < 1 or min(a.empty_every, a.untagged_every, a.max_nnz) < 0:
        p.error("--rows and --cols must be positive, the other counts not negative")
    make_csr(a) if a.kind == "csr" else make_dense(a)


if __name__ == "__main__":
    main()
