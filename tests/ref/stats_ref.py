#!/usr/bin/python3
"""stats_ref.py: check `h5-stats --json` against numpy/scipy computed from the file with h5py.

  h5-stats --json [--top N] [--zero-tol X] FILE | stats_ref.py FILE [--top N] [--zero-tol X]

Recomputes every statistic the report contains (dataset list, CSR, targets, each 2-D and 1-D
float dataset) and exits 1 listing each mismatch, 0 when all agree (relative 1e-6 for reals).
"""
import argparse
import json
import math
import sys

import h5py
import numpy as np

errors = []


def close(a, b, what, rtol=1e-6, atol=1e-9):
    if a is None or b is None:
        if a is not b:
            errors.append(f"{what}: report {a!r}, reference {b!r}")
        return
    if not math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol):
        errors.append(f"{what}: report {a!r}, reference {b!r}")


def equal(a, b, what):
    if a != b:
        errors.append(f"{what}: report {a!r}, reference {b!r}")


def check_csr(f, rep, top):
    data = f["data"][()].astype(np.float32).astype(np.float64)
    indices = f["indices"][()]
    indptr = f["indptr"][()].astype(np.int64)
    R = len(indptr) - 1
    C = int(f.attrs["shape"][1]) if "shape" in f.attrs else int(f.attrs["num_features"])
    equal(rep["rows"], R, "csr rows")
    equal(rep["cols"], C, "csr cols")
    equal(rep["nnz"], len(data), "csr nnz")
    close(rep["density"], len(data) / (R * C), "csr density")
    nper = np.diff(indptr)
    equal(rep["nnz_per_row"]["min"], int(nper.min()), "nnz_per_row min")
    equal(rep["nnz_per_row"]["max"], int(nper.max()), "nnz_per_row max")
    close(rep["nnz_per_row"]["median"], float(np.median(nper)), "nnz_per_row median")
    close(rep["nnz_per_row"]["mean"], float(nper.mean()), "nnz_per_row mean")
    equal(rep["empty_rows"], int((nper == 0).sum()), "empty_rows")
    rowid = np.repeat(np.arange(R), nper)
    norms = np.sqrt(np.bincount(rowid, weights=data * data, minlength=R))
    close(rep["row_norm"]["min"], norms.min(), "row_norm min")
    close(rep["row_norm"]["mean"], norms.mean(), "row_norm mean")
    close(rep["row_norm"]["max"], norms.max(), "row_norm max")
    close(rep["values"]["min"], data.min(), "values min")
    close(rep["values"]["max"], data.max(), "values max")
    df = np.bincount(indices, minlength=C)
    order = np.lexsort((np.arange(C), -df))[:top]
    fid = f["feature_ids"][()] if "feature_ids" in f else np.arange(1, C + 1)
    got = [(t["column"], t["feature_id"], t["df"]) for t in rep["top_columns"]]
    want = [(int(c), int(fid[c]), int(df[c])) for c in order]
    equal(got, want, "top_columns")


def check_targets(f, rep):
    t = f["targets"][()]
    names = [n.decode() if isinstance(n, bytes) else n for n in f["target_names"][()]]
    counts = np.array([len(x) for x in t])
    equal(rep["rows"], len(t), "targets rows")
    equal(rep["num_topics"], len(names), "targets num_topics")
    equal(rep["nnz"], int(counts.sum()), "targets nnz")
    equal(rep["topics_per_document"]["min"], int(counts.min()), "topics_per_document min")
    equal(rep["topics_per_document"]["max"], int(counts.max()), "topics_per_document max")
    close(rep["topics_per_document"]["mean"], counts.mean(), "topics_per_document mean")
    equal(rep["documents_without_topic"], int((counts == 0).sum()), "documents_without_topic")
    allt = np.concatenate([np.asarray(x, dtype=np.int64) for x in t] + [np.zeros(0, np.int64)])
    per = np.bincount(allt, minlength=len(names))
    got = [(d["topic"], d["documents"]) for d in rep["documents_per_topic"]]
    equal(got, [(names[i], int(per[i])) for i in range(len(names))], "documents_per_topic")


def check_dense(name, x, rep, tol):
    x = x.astype(np.float64)
    equal(rep["rows"], x.shape[0], f"{name} rows")
    equal(rep["cols"], x.shape[1], f"{name} cols")
    for j, c in enumerate(rep["columns"]):
        col = x[:, j]
        close(c["mean"], col.mean(), f"{name}[{j}] mean")
        close(c["std"], col.std(), f"{name}[{j}] std", atol=1e-7)
        close(c["min"], col.min(), f"{name}[{j}] min")
        close(c["max"], col.max(), f"{name}[{j}] max")
        close(c["sparsity"], (np.abs(col) <= tol).mean(), f"{name}[{j}] sparsity")
    o = rep["overall"]
    close(o["mean"], x.mean(), f"{name} overall mean")
    close(o["std"], x.std(), f"{name} overall std")
    close(o["min"], x.min(), f"{name} overall min")
    close(o["max"], x.max(), f"{name} overall max")
    close(o["sparsity"], (np.abs(x) <= tol).mean(), f"{name} overall sparsity")


def check_vector(name, v, rep):
    v = v.astype(np.float64)
    equal(rep["count"], len(v), f"{name} count")
    close(rep["mean"], v.mean(), f"{name} mean")
    close(rep["std"], v.std(), f"{name} std")
    close(rep["min"], v.min(), f"{name} min")
    close(rep["max"], v.max(), f"{name} max")
    for key, q in (("median", 50), ("p90", 90), ("p99", 99)):
        close(rep[key], np.percentile(v, q), f"{name} {key}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--zero-tol", type=float, default=1e-6)
    a = p.parse_args()
    rep = json.load(sys.stdin)
    st = rep["statistics"]
    with h5py.File(a.file, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) else None)
        equal([d["name"] for d in rep["datasets"]], sorted(names), "dataset list")
        for d in rep["datasets"]:
            o = f[d["name"]]
            equal(tuple(d["shape"]), o.shape, d["name"] + " shape")
            equal(tuple(d["chunks"]) if d["chunks"] else None, o.chunks, d["name"] + " chunks")
        csr = all(k in f for k in ("data", "indices", "indptr"))
        if csr:
            check_csr(f, st["csr"], a.top)
        if "targets" in f:
            check_targets(f, st["/targets"])
        for n in names:
            o = f[n]
            if o.dtype.kind != "f" or (csr and n in ("/data", "/indices", "/indptr")):
                continue
            if o.ndim == 2:
                check_dense(n, o[()], st[n], a.zero_tol)
            elif o.ndim == 1:
                check_vector(n, o[()], st[n])
        expected_keys = set(st)
        equal(len(expected_keys), len(st), "statistics keys")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
