#!/usr/bin/python3
"""sklearn_roundtrip.py: compare an aekit dataset file with what scikit-learn reads.

usage: sklearn_roundtrip.py [--n-features N] [--zero-based] [--labels] [--write] H5 QRELS FILE...

Loads the vector FILEs (LYRL2004 or SVMlight, .gz or plain) with scikit-learn's
load_svmlight_files, as sklearn.datasets.fetch_rcv1 does (sklearn 1.2): the first token of a
line is parsed as the label, which for LYRL files is the document id; the files are stacked in
the order given (fetch_rcv1: train, then test_pt0..pt3); float64 values; term ids 1-based
(fetch_rcv1 leaves zero_based="auto", which resolves to 1-based on the real files; here it is
explicit: zero_based=False, or True with --zero-based); n_features as given (fetch_rcv1: 47236),
else the largest id seen. QRELS ("-" for none) is parsed as fetch_rcv1 parses
rcv1v2.topics.qrels.gz: lines split on " ", 3 fields "<TOPIC> <docid> 1", topic names ordered
bytewise (np.argsort of the names), the topics of a document as a set; documents are matched
by id (fetch_rcv1 assumes every document has a line; here a document without one gets an empty
topic list, and lines for documents not in FILEs are counted and ignored).

Then reads H5 (svm2h5's output, layout in common/dataset.h) with h5py + scipy and compares:
shape (datasets and the shape/num_samples/num_features attributes), /indptr, /indices,
/data (each value within float32 rounding of scikit-learn's float64), /sample_id (the
document ids; with --labels, /labels against the float labels instead), /targets (topic index
lists per row), /target_names (order and spelling), num_target_categories, /feature_ids (1..C
when present), and format="aekit-dataset", format_version=1.

With --write, H5 is written instead of read: the same data in the aekit layout (h5py), a
reference file made by a real reader.

Exit status: 0 and one summary line on stdout when everything matches; 1 and
"sklearn_roundtrip: MISMATCH: ..." lines on stderr otherwise; 2 on a usage error.
"""

import argparse
import datetime
import gzip
import sys

import h5py
import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_files

PROG = "sklearn_roundtrip"


def parse_qrels(path):
    """fetch_rcv1's qrels loop: {docid: set of topic names} and the topic names in first-seen
    order (n_cat), plus lines seen."""
    opener = gzip.open if path.endswith(".gz") else open
    category_names = {}
    topics_of = {}
    n_lines = 0
    with opener(path, "rb") as f:
        for line in f:
            line_components = line.decode("ascii").split(" ")
            if len(line_components) == 3:
                cat, doc, _ = line_components
                if cat not in category_names:
                    category_names[cat] = len(category_names)
                doc = int(doc)
                topics_of.setdefault(doc, set()).add(cat)
                n_lines += 1
    categories = np.empty(len(category_names), dtype=object)
    for k, v in category_names.items():
        categories[v] = k
    order = np.argsort(categories)      # fetch_rcv1: "reorder categories in lexicographic order"
    return topics_of, [str(c) for c in categories[order]], n_lines


def load_reference(a):
    Xy = load_svmlight_files(a.files, n_features=a.n_features, zero_based=a.zero_based)
    X = sp.vstack([Xy[2 * i] for i in range(len(a.files))]).tocsr()
    y = np.hstack([Xy[2 * i + 1] for i in range(len(a.files))])
    ref = {"X": X, "y": y, "names": None, "targets": None, "unknown": 0, "no_topic": 0}
    if a.labels:
        return ref
    if not np.all(y == np.floor(y)) or (len(y) and (y.min() < 0 or y.max() > 2 ** 32 - 1)):
        raise SystemExit("%s: the first tokens are not document ids (use --labels)" % PROG)
    ids = y.astype(np.uint32)
    if len(np.unique(ids)) != len(ids):
        raise SystemExit("%s: duplicate document ids in the vector files" % PROG)
    ref["ids"] = ids
    if a.qrels != "-":
        topics_of, names, _ = parse_qrels(a.qrels)
        index = {n: i for i, n in enumerate(names)}
        idset = set(int(i) for i in ids)
        ref["unknown"] = sum(len(v) for d, v in topics_of.items() if d not in idset)
        ref["names"] = names
        ref["targets"] = [sorted(index[t] for t in topics_of.get(int(d), ())) for d in ids]
        ref["no_topic"] = sum(1 for t in ref["targets"] if not t)
    return ref


def write_h5(path, ref, a):
    X = ref["X"]
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=X.data.astype(np.float32))
        f.create_dataset("indices", data=X.indices.astype(np.int32))
        f.create_dataset("indptr", data=X.indptr.astype(np.int64))
        if a.labels:
            f.create_dataset("labels", data=ref["y"].astype(np.float32))
        else:
            f.create_dataset("sample_id", data=ref["ids"])
        f.create_dataset("feature_ids", data=np.arange(1, X.shape[1] + 1, dtype=np.int32))
        if ref["names"] is not None:
            t = f.create_dataset("targets", (X.shape[0],), dtype=h5py.vlen_dtype(np.int32))
            for i, row in enumerate(ref["targets"]):
                t[i] = np.array(row, dtype=np.int32)
            f.create_dataset("target_names", data=[n.encode() for n in ref["names"]],
                             dtype=h5py.string_dtype("ascii"))
        f.attrs["shape"] = np.array(X.shape, dtype=np.int64)
        f.attrs["num_samples"] = X.shape[0]
        f.attrs["num_features"] = X.shape[1]
        f.attrs["num_target_categories"] = len(ref["names"]) if ref["names"] else 0
        f.attrs["original_num_features"] = X.shape[1]
        f.attrs["format"] = "aekit-dataset"
        f.attrs["format_version"] = 1
        f.attrs["created_by"] = "%s: %s" % (PROG, " ".join(sys.argv))
        f.attrs["created_at"] = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")


def as_str(x):
    return x.decode() if isinstance(x, (bytes, np.bytes_)) else str(x)


def first_diff(a, b):
    d = np.nonzero(a != b)[0]
    return int(d[0]) if len(d) else None


def compare(path, ref, a):
    X = ref["X"]
    bad = []

    def mismatch(msg):
        bad.append(msg)

    with h5py.File(path, "r") as f:
        for name in ("data", "indices", "indptr"):
            if name not in f:
                mismatch("/%s missing" % name)
        if bad:
            return bad, {}
        indptr = f["indptr"][...].astype(np.int64)
        indices = f["indices"][...]
        data = f["data"][...]
        rows = len(indptr) - 1
        attrs = {k: f.attrs[k] for k in f.attrs}
        shape = tuple(int(v) for v in attrs.get("shape", (-1, -1)))
        if shape != X.shape:
            mismatch("shape attribute %s, scikit-learn %s" % (shape, X.shape))
        for k, want in (("num_samples", X.shape[0]), ("num_features", X.shape[1])):
            if k not in attrs or int(attrs[k]) != want:
                mismatch("attribute %s = %s, scikit-learn %d" % (k, attrs.get(k), want))
        if as_str(attrs.get("format", "")) != "aekit-dataset":
            mismatch("attribute format = %r, not 'aekit-dataset'" % attrs.get("format"))
        if "format_version" not in attrs or int(attrs["format_version"]) != 1:
            mismatch("attribute format_version = %s, not 1" % attrs.get("format_version"))
        if rows != X.shape[0]:
            mismatch("%d rows (/indptr), scikit-learn %d" % (rows, X.shape[0]))
            return bad, {}
        i = first_diff(indptr, X.indptr.astype(np.int64))
        if i is not None:
            mismatch("/indptr[%d] = %d, scikit-learn %d (row %d has %d non-zeros there, %d in "
                     "scikit-learn)" % (i, indptr[i], X.indptr[i], i - 1,
                                        indptr[i] - indptr[i - 1] if i else 0,
                                        X.indptr[i] - X.indptr[i - 1] if i else 0))
            return bad, {}
        if len(indices) != X.nnz or len(data) != X.nnz:
            mismatch("/indices has %d, /data %d values; scikit-learn nnz %d"
                     % (len(indices), len(data), X.nnz))
            return bad, {}
        i = first_diff(indices.astype(np.int64), X.indices.astype(np.int64))
        if i is not None:
            r = int(np.searchsorted(X.indptr, i, side="right")) - 1
            mismatch("/indices[%d] (row %d) = %d, scikit-learn %d" % (i, r, indices[i],
                                                                     X.indices[i]))
        ref64 = X.data.astype(np.float64)
        ulp = np.spacing(np.abs(ref64).astype(np.float32)).astype(np.float64)
        err = np.abs(data.astype(np.float64) - ref64)
        over = np.nonzero(err > 0.5 * ulp * (1 + 1e-6))[0]
        if len(over):
            i = int(over[0])
            r = int(np.searchsorted(X.indptr, i, side="right")) - 1
            mismatch("/data[%d] (row %d) = %.9g, scikit-learn %.17g: %d values beyond float32 "
                     "rounding" % (i, r, data[i], ref64[i], len(over)))
        info = {"max_err_ulp": float(np.max(err / ulp)) if len(err) else 0.0,
                "dtype": str(data.dtype)}
        if a.labels:
            if "labels" not in f:
                mismatch("/labels missing (--labels)")
            else:
                lab = f["labels"][...].astype(np.float64)
                want = ref["y"].astype(np.float64)
                lulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
                if len(lab) != len(want):
                    mismatch("/labels has %d values, %d rows" % (len(lab), len(want)))
                elif np.any(np.abs(lab - want) > 0.5 * lulp * (1 + 1e-6)):
                    i = int(np.nonzero(np.abs(lab - want) > 0.5 * lulp * (1 + 1e-6))[0][0])
                    mismatch("/labels[%d] = %.9g, scikit-learn %.17g" % (i, lab[i], want[i]))
        else:
            if "sample_id" not in f:
                mismatch("/sample_id missing")
            else:
                sid = f["sample_id"][...]
                if sid.dtype != np.uint32:
                    mismatch("/sample_id is %s, not uint32" % sid.dtype)
                if len(sid) != rows:
                    mismatch("/sample_id has %d values, %d rows" % (len(sid), rows))
                else:
                    i = first_diff(sid.astype(np.int64), ref["ids"].astype(np.int64))
                    if i is not None:
                        mismatch("/sample_id[%d] = %d, scikit-learn %d" % (i, sid[i],
                                                                          ref["ids"][i]))
        if "feature_ids" in f and not a.zero_based:
            fid = f["feature_ids"][...]
            if len(fid) != X.shape[1] or np.any(fid != np.arange(1, X.shape[1] + 1)):
                mismatch("/feature_ids is not 1..%d" % X.shape[1])
        if ref["names"] is None:
            for name in ("targets", "target_names"):
                if name in f:
                    mismatch("/%s present but no qrels given" % name)
        else:
            if "targets" not in f or "target_names" not in f:
                mismatch("/targets or /target_names missing")
                return bad, info
            names = [as_str(x) for x in f["target_names"][...]]
            if names != ref["names"]:
                j = next((k for k in range(min(len(names), len(ref["names"])))
                          if names[k] != ref["names"][k]), min(len(names), len(ref["names"])))
                mismatch("/target_names: %d names, scikit-learn %d; first difference at %d: "
                         "%r vs %r" % (len(names), len(ref["names"]), j,
                                       names[j] if j < len(names) else None,
                                       ref["names"][j] if j < len(ref["names"]) else None))
            if "num_target_categories" in attrs and \
                    int(attrs["num_target_categories"]) != len(ref["names"]):
                mismatch("attribute num_target_categories = %d, %d topics"
                         % (int(attrs["num_target_categories"]), len(ref["names"])))
            targets = f["targets"][...]
            if len(targets) != rows:
                mismatch("/targets has %d rows, not %d" % (len(targets), rows))
            else:
                for r in range(rows):
                    got = [int(v) for v in targets[r]]
                    if got != ref["targets"][r]:
                        sid = ref["ids"][r]
                        mismatch("/targets[%d] (document %d) = %s %s, qrels %s %s"
                                 % (r, sid, got, [names[k] for k in got if k < len(names)],
                                    ref["targets"][r],
                                    [ref["names"][k] for k in ref["targets"][r]]))
                        break
    return bad, info


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                 usage="%(prog)s [--n-features N] [--zero-based] [--labels] "
                                       "[--write] H5 QRELS FILE...")
    ap.add_argument("--n-features", type=int, default=None)
    ap.add_argument("--zero-based", action="store_true")
    ap.add_argument("--labels", action="store_true",
                    help="generic SVMlight: the first token is a label (/labels), no qrels")
    ap.add_argument("--write", action="store_true", help="write H5 instead of comparing")
    ap.add_argument("h5")
    ap.add_argument("qrels")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    if a.labels and a.qrels != "-":
        ap.error("--labels takes no qrels (give -)")
    ref = load_reference(a)
    X = ref["X"]
    if a.write:
        write_h5(a.h5, ref, a)
        print("%s: wrote %s: %d x %d, nnz %d" % (PROG, a.h5, X.shape[0], X.shape[1], X.nnz))
        return 0
    bad, info = compare(a.h5, ref, a)
    if bad:
        for m in bad:
            sys.stderr.write("%s: MISMATCH: %s\n" % (PROG, m))
        return 1
    what = "labels" if a.labels else "sample ids %d..%d" % (ref["ids"][0], ref["ids"][-1]) \
        if len(ref["ids"]) else "no rows"
    tgt = ""
    if ref["names"] is not None:
        tgt = ", targets nnz %d over %d topics (%d documents without, %d qrels lines for " \
              "unknown documents)" % (sum(len(t) for t in ref["targets"]), len(ref["names"]),
                                      ref["no_topic"], ref["unknown"])
    print("%s: OK: %d x %d, nnz %d, %s values within float32 rounding (max %.2f ulp), %s%s"
          % (PROG, X.shape[0], X.shape[1], X.nnz, info["dtype"], info["max_err_ulp"], what, tgt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
