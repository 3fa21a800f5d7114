#!/usr/bin/python3
"""topk_ref.py: check an h5-topk-features output against numpy/scipy.

  topk_ref.py IN.h5 OUT.h5 -k N [--by sum|df]

Scores the columns of IN with numpy (float64 column sums accumulated in row order, or
document frequencies), keeps the N best (ties to the lower column) in ascending order, and
compares OUT with scipy's IN[:, kept]: shape, indptr, indices, values (bit for bit),
feature_ids mapped through IN's, sample ids, targets, target names, labels and attributes.
Exits 1 listing every difference.
"""
import argparse
import sys

import h5py
import numpy as np
import scipy.sparse as sp

errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


def load(f):
    C = int(f.attrs["shape"][1])
    X = sp.csr_matrix((f["data"][()].astype(np.float32), f["indices"][()],
                       f["indptr"][()].astype(np.int64)), shape=(len(f["indptr"]) - 1, C))
    return X


def main():
    p = argparse.ArgumentParser()
    p.add_argument("inp")
    p.add_argument("out")
    p.add_argument("-k", type=int, required=True)
    p.add_argument("--by", choices=["sum", "df"], default="sum")
    a = p.parse_args()
    with h5py.File(a.inp, "r") as fi, h5py.File(a.out, "r") as fo:
        X = load(fi)
        R, C = X.shape
        if a.by == "sum":
            score = np.bincount(X.indices, weights=X.data.astype(np.float64), minlength=C)
        else:
            score = np.bincount(X.indices, minlength=C).astype(np.float64)
        k = min(a.k, C)
        kept = np.sort(np.lexsort((np.arange(C), -score))[:k])
        Y = X[:, kept].tocsr()
        Y.sort_indices()
        Z = load(fo)
        check(Z.shape == (R, k), f"shape {Z.shape} != {(R, k)}")
        check(np.array_equal(Z.indptr, Y.indptr), "indptr differs")
        if np.array_equal(Z.indptr, Y.indptr):
            check(np.array_equal(Z.indices, Y.indices), "indices differ")
            check(np.array_equal(Z.data.view(np.uint32), Y.data.astype(np.float32).view(np.uint32)),
                  "values differ")
        fid_in = fi["feature_ids"][()] if "feature_ids" in fi else np.arange(1, C + 1)
        check(np.array_equal(fo["feature_ids"][()], fid_in[kept]), "feature_ids differ")
        sid = fi["sample_id"][()] if "sample_id" in fi else np.arange(R)
        check(np.array_equal(fo["sample_id"][()], sid), "sample_id differs")
        if "targets" in fi:
            ti, to = fi["targets"][()], fo["targets"][()]
            check(len(ti) == len(to) and all(np.array_equal(x, y) for x, y in zip(ti, to)),
                  "targets differ")
            check(list(fi["target_names"][()]) == list(fo["target_names"][()]),
                  "target_names differ")
        for name in fi:
            if name not in ("data", "indices", "indptr", "sample_id", "feature_ids", "targets"):
                check(name in fo, f"/{name} not copied")
                if name in fo and isinstance(fi[name], h5py.Dataset):
                    check(np.array_equal(fi[name][()], fo[name][()]), f"/{name} differs")
        at = fo.attrs
        check(list(at["shape"]) == [R, k], f"shape attribute {list(at['shape'])}")
        check(int(at["num_features"]) == k, "num_features")
        check(int(at["num_samples"]) == R, "num_samples")
        onf = int(fi.attrs.get("original_num_features", C))
        check(int(at["original_num_features"]) == onf, "original_num_features")
        crit = at["criterion"]
        crit = crit.decode() if isinstance(crit, bytes) else crit
        check(crit == a.by, f"criterion {crit!r}")
        check(int(at["k"]) == a.k, "k attribute")
        check(at["format"] in ("aekit-dataset", b"aekit-dataset"), "format attribute")
        check(int(at["format_version"]) == 1, "format_version")
        cb = at["created_by"]
        cb = cb.decode() if isinstance(cb, bytes) else cb
        check(cb.startswith("h5-topk-features "), f"created_by {cb!r}")
        check("created_at" in at, "created_at missing")
        if "num_target_categories" in fi.attrs:
            check(int(at["num_target_categories"]) == int(fi.attrs["num_target_categories"]),
                  "num_target_categories")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
