#!/usr/bin/python3
"""make_h5.py: write test HDF5 files with h5py, independently of aekit's writer.

  make_h5.py csr OUT.h5 [--rows R] [--cols C] [--seed S] [--aekit] [--feature-ids]
             [--int32-indptr] [--float64] [--vlen-names] [--labels] [--empty-every K]
      A corpus in the Python tool's rcv1_dataset.h5 layout (/data float32, /indices int32,
      /indptr int64, /targets vlen int32, /target_names fixed bytes, root attributes shape,
      num_samples, num_features, num_target_categories, original_num_features). Zipf-like
      column frequencies (so document frequencies have ties and a clear head), rows with
      unit L2 norm, hierarchical-looking topic codes. --aekit adds the version-1 parts
      (/sample_id, /feature_ids, format attributes); --feature-ids adds only /feature_ids
      (as a reduced file would have, ids spread over 1..3C).
  make_h5.py dense OUT.h5 [--rows R] [--cols C] [--seed S]
      /codes float32 [R x C] with exact zeros (ReLU-like), /errors float32 [R], /sample_id.
"""
import argparse

import h5py
import numpy as np


def topic_names():
    names = [b"C11", b"C12", b"C13", b"C15", b"C151", b"C152", b"CCAT", b"E11", b"E12",
             b"ECAT", b"G15", b"GCAT", b"GSPO", b"M11", b"M13", b"MCAT"]
    return sorted(names)


def make_csr(a):
    rng = np.random.default_rng(a.seed)
    R, C = a.rows, a.cols
    # Zipf-like column popularity; a few columns share the same weight to create df ties
    pop = 1.0 / np.arange(1, C + 1) ** 1.1
    pop = pop[rng.permutation(C)]
    pop /= pop.sum()
    indptr = [0]
    indices, data = [], []
    for r in range(R):
        if a.empty_every and r % a.empty_every == a.empty_every - 1:
            indptr.append(indptr[-1])
            continue
        k = int(min(C, max(1, rng.poisson(12))))
        cols = np.unique(rng.choice(C, size=k, replace=False, p=pop))
        vals = rng.random(len(cols)).astype(np.float64) + 0.05
        vals /= np.linalg.norm(vals)
        indices.extend(cols.tolist())
        data.extend(vals.tolist())
        indptr.append(indptr[-1] + len(cols))
    names = topic_names()
    targets = []
    for r in range(R):
        n = int(rng.integers(0, 4))
        targets.append(np.sort(rng.choice(len(names), size=n, replace=False)).astype(np.int32))
    with h5py.File(a.out, "w") as f:
        f.create_dataset("data", data=np.array(data, dtype=np.float64 if a.float64 else np.float32))
        f.create_dataset("indices", data=np.array(indices, dtype=np.int32))
        f.create_dataset("indptr", data=np.array(indptr, dtype=np.int32 if a.int32_indptr else np.int64))
        vt = h5py.vlen_dtype(np.int32)
        ds = f.create_dataset("targets", (R,), dtype=vt)
        for r in range(R):
            ds[r] = targets[r]
        if a.vlen_names:
            f.create_dataset("target_names", data=[n.decode() for n in names],
                             dtype=h5py.string_dtype())
        else:
            f.create_dataset("target_names", data=np.array(names))
        f.attrs["shape"] = (R, C)
        f.attrs["num_samples"] = R
        f.attrs["num_features"] = C
        f.attrs["num_target_categories"] = len(names)
        f.attrs["original_num_features"] = C
        if a.labels:
            f.create_dataset("labels", data=rng.integers(-1, 2, size=R).astype(np.float32))
        if a.aekit or a.feature_ids:
            fid = np.sort(rng.choice(np.arange(1, 3 * C + 1), size=C, replace=False))
            f.create_dataset("feature_ids", data=fid.astype(np.int32))
            f.attrs["original_num_features"] = 3 * C
        if a.aekit:
            f.create_dataset("sample_id", data=(np.arange(R) * 3 + 2286).astype(np.uint32))
            f.attrs["format"] = "aekit-dataset"
            f.attrs["format_version"] = 1
            f.attrs["created_by"] = "make_h5.py"
            f.attrs["created_at"] = "2026-01-01T00:00:00Z"


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
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["csr", "dense"])
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--cols", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--aekit", action="store_true")
    p.add_argument("--feature-ids", action="store_true")
    p.add_argument("--int32-indptr", action="store_true")
    p.add_argument("--float64", action="store_true")
    p.add_argument("--vlen-names", action="store_true")
    p.add_argument("--labels", action="store_true")
    p.add_argument("--empty-every", type=int, default=0)
    a = p.parse_args()
    make_csr(a) if a.kind == "csr" else make_dense(a)


if __name__ == "__main__":
    main()
