#!/usr/bin/python3
"""make_dataset.py: a small training dataset from real RCV1 documents (tests/data/vw_rcv1_small.dat),
written with h5py in the Python tool's layout (format version 0: /data float32, /indices int32,
/indptr int64, attributes shape, num_samples, num_features).

usage: make_dataset.py OUT.h5 [--features K] [--rows N]
Columns are the K most frequent feature ids (ties by id), in ascending id order; rows are the
first N documents (rows left empty by the selection stay, as all-zero rows)."""
import argparse
import collections
import os

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--features", type=int, default=200)
ap.add_argument("--rows", type=int, default=1000)
a = ap.parse_args()

docs = []
with open(os.path.join(here, "..", "data", "vw_rcv1_small.dat")) as f:
    for line in f:
        feats = line.split("|f", 1)[1].split()
        docs.append([(int(k), float(v)) for k, v in (t.split(":") for t in feats)])
docs = docs[: a.rows]
freq = collections.Counter(k for d in docs for k, _ in d)
top = sorted(sorted(freq, key=lambda k: (-freq[k], k))[: a.features])
col = {k: i for i, k in enumerate(top)}
data, indices, indptr = [], [], [0]
for d in docs:
    for k, v in d:
        if k in col:
            indices.append(col[k])
            data.append(v)
    indptr.append(len(data))
with h5py.File(a.out, "w") as f:
    f["data"] = np.asarray(data, np.float32)
    f["indices"] = np.asarray(indices, np.int32)
    f["indptr"] = np.asarray(indptr, np.int64)
    f.attrs["shape"] = np.asarray([len(docs), len(top)], np.int64)
    f.attrs["num_samples"] = len(docs)
    f.attrs["num_features"] = len(top)
    f.attrs["nnz"] = len(data)
