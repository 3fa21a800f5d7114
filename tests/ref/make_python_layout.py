#!/usr/bin/python3
"""make_python_layout.py: a small dataset file in the Python tool's rcv1_dataset.h5 layout.

usage: make_python_layout.py [--rows R] [--cols C] [--seed S] [--float64] [--indptr32]
                             [--fixed-names] [--compress] [--no-targets] [--expect] OUT.h5

Writes OUT.h5 with h5py the way autoencoder_nlp's download-dataset wrote rcv1_dataset.h5:
CSR at the root (/data, /indices 0-based int32, /indptr), /targets (variable-length int32, topic
indices ascending), /target_names (byte strings, the 103 RCV1 codes in bytewise order), root
attributes shape, num_samples, num_features, num_target_categories, original_num_features
(47236: the columns are a feature subset, as with --n-features); nothing aekit adds (no
/sample_id, /feature_ids, format, format_version, created_by, created_at), so a reader must
take it as format version 0.

Content (deterministic for --seed): R rows over C columns, 3..40 non-zeros per row with
positive values scaled to unit L2 norm, except row 1 which is empty (all its terms fell outside
the kept features); RCV1-like topics with their ancestors, except row 2 which has none.

Variants a reader must accept:
  --float64      /data as float64 (the default is float32)
  --indptr32     /indptr as int32 (the default is int64)
  --fixed-names  /target_names as fixed-length strings (the default is variable-length)
  --compress     chunked, gzip level 4 datasets (the default is contiguous, uncompressed)
  --no-targets   no /targets, /target_names (num_target_categories 0)
--expect prints, as one JSON object on stdout, what a reader should find: rows, cols, nnz,
non-zeros per row (min, max, mean), empty rows, value min/max, documents per topic, topics per
document (min, max, mean), documents without topics.
"""

import argparse
import json
import os
import sys

import h5py
import numpy as np

TOPICS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                           "rcv1.topics.txt")


def parent_of(code, known):
    if code.endswith("CAT"):
        return None
    if len(code) > 3 and code[:-1] in known:
        return code[:-1]
    return code[0] + "CAT"


def make(a):
    rng = np.random.RandomState(a.seed)
    with open(TOPICS_FILE) as f:
        names = f.read().split()
    known = set(names)
    index = {n: i for i, n in enumerate(names)}
    indptr = [0]
    indices, data, targets = [], [], []
    for r in range(a.rows):
        n = 0 if r == 1 else int(rng.randint(3, min(40, a.cols) + 1))
        cols = np.sort(rng.choice(a.cols, n, replace=False)).astype(np.int32)
        vals = rng.uniform(0.05, 1.0, n) ** 2
        if n:
            vals /= np.sqrt(np.sum(vals * vals))
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + n)
        codes = set()
        if r != 2:
            for _ in range(int(rng.randint(1, 4))):
                c = names[int(rng.randint(len(names)))]
                while c is not None:
                    codes.add(c)
                    c = parent_of(c, known)
        targets.append(sorted(index[c] for c in codes))
    return (names, np.array(indptr, dtype=np.int64), np.concatenate(indices),
            np.concatenate(data), targets)


def main():
    ap = argparse.ArgumentParser(prog="make_python_layout")
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--cols", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--float64", action="store_true")
    ap.add_argument("--indptr32", action="store_true")
    ap.add_argument("--fixed-names", action="store_true")
    ap.add_argument("--compress", action="store_true")
    ap.add_argument("--no-targets", action="store_true")
    ap.add_argument("--expect", action="store_true")
    ap.add_argument("out")
    a = ap.parse_args()
    if a.rows < 3 or a.cols < 40:
        ap.error("--rows must be at least 3 and --cols at least 40")
    names, indptr, indices, data, targets = make(a)
    kw = {"compression": "gzip", "compression_opts": 4, "chunks": True} if a.compress else {}
    with h5py.File(a.out, "w") as f:
        f.create_dataset("data", data=data.astype(np.float64 if a.float64 else np.float32), **kw)
        f.create_dataset("indices", data=indices.astype(np.int32), **kw)
        f.create_dataset("indptr", data=indptr.astype(np.int32 if a.indptr32 else np.int64),
                         **kw)
        if not a.no_targets:
            t = f.create_dataset("targets", (a.rows,), dtype=h5py.vlen_dtype(np.int32), **kw)
            for i, row in enumerate(targets):
                t[i] = np.array(row, dtype=np.int32)
            if a.fixed_names:
                f.create_dataset("target_names", data=np.array([n.encode() for n in names],
                                                               dtype="S"), **kw)
            else:
                f.create_dataset("target_names", data=[n.encode() for n in names],
                                 dtype=h5py.string_dtype("ascii"), **kw)
        f.attrs["shape"] = (a.rows, a.cols)
        f.attrs["num_samples"] = a.rows
        f.attrs["num_features"] = a.cols
        f.attrs["num_target_categories"] = 0 if a.no_targets else len(names)
        f.attrs["original_num_features"] = 47236
    if a.expect:
        nnz = np.diff(indptr)
        stored = data.astype(np.float64 if a.float64 else np.float32)
        exp = {"rows": a.rows, "cols": a.cols, "nnz": int(indptr[-1]),
               "nnz_per_row": {"min": int(nnz.min()), "max": int(nnz.max()),
                               "mean": float(nnz.mean())},
               "empty_rows": int(np.sum(nnz == 0)),
               "value_min": float(stored.min()), "value_max": float(stored.max())}
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
        print(json.dumps(exp, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
