#!/usr/bin/python3
"""make_big.py: a corpus of the full RCV1 size in the Python tool's layout, for memory checks
of the streaming tools (not run by `make check`: it writes about 500 MB).

  make_big.py OUT.h5 [--rows 804414] [--cols 47236] [--mean-nnz 75.7] [--seed 1]

Rows have Poisson(mean-nnz) strictly increasing column indices drawn with Zipf-like
preference for low columns, unit L2 norm, and 0-5 topics out of 103.
  /usr/bin/time -v h5-stats big.h5                  # "Maximum resident set size"
  /usr/bin/time -v h5-topk-features -k 2000 -o t.h5 big.h5
"""
import argparse

import h5py
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=804414)
    p.add_argument("--cols", type=int, default=47236)
    p.add_argument("--mean-nnz", type=float, default=75.7)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    R, C = a.rows, a.cols
    lens = np.minimum(rng.poisson(a.mean_nnz, R), C // 8)
    indptr = np.zeros(R + 1, np.int64)
    np.cumsum(lens, out=indptr[1:])
    nnz = int(indptr[-1])
    # columns: per row, sorted unique draws skewed toward low ids (u**2 * C)
    u = rng.random(nnz)
    cols = (u * u * C).astype(np.int64)
    row = np.repeat(np.arange(R, dtype=np.int64), lens)
    key = np.unique(row * C + cols)              # sorts by row, then column; drops repeats
    row, cols = key // C, key % C
    indptr = np.zeros(R + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=R), out=indptr[1:])
    vals = rng.random(len(cols)).astype(np.float32) + np.float32(0.01)
    norms = np.sqrt(np.add.reduceat(vals.astype(np.float64) ** 2, indptr[:-1]))
    norms[np.diff(indptr) == 0] = 1
    vals /= np.repeat(norms, np.diff(indptr)).astype(np.float32)
    names = sorted(f"T{i:03d}".encode() for i in range(103))
    tl = rng.integers(0, 6, R)
    tg = np.empty(R, dtype=object)
    for r in range(R):
        tg[r] = np.sort(rng.choice(103, tl[r], replace=False)).astype(np.int32)
    with h5py.File(a.out, "w") as f:
        f.create_dataset("data", data=vals, chunks=(65536,), compression="gzip", compression_opts=1)
        f.create_dataset("indices", data=cols.astype(np.int32), chunks=(65536,),
                         compression="gzip", compression_opts=1)
        f.create_dataset("indptr", data=indptr)
        f.create_dataset("targets", data=tg, dtype=h5py.vlen_dtype(np.int32))
        f.create_dataset("target_names", data=np.array(names))
        f.attrs["shape"] = (R, C)
        f.attrs["num_samples"] = R
        f.attrs["num_features"] = C
        f.attrs["num_target_categories"] = 103
        f.attrs["original_num_features"] = C
    print(f"{a.out}: {R} x {C}, nnz {len(cols)}")


if __name__ == "__main__":
    main()
