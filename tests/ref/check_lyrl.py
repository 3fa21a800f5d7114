#!/usr/bin/python3
"""check_lyrl.py: strict checker of a corpus in the RCV1-v2/LYRL2004 file formats.

usage: check_lyrl.py [--n-features N] [--topics FILE] [--first-id ID] [--realism] DIR

Reads DIR/lyrl2004_vectors_train.dat.gz, DIR/lyrl2004_vectors_test_pt0..3.dat.gz and
DIR/rcv1v2.topics.qrels.gz (what examples/gen-corpus writes) and checks, line by line:
  vectors  "<docid>  <termid>:<weight> ..." exactly: two spaces after the id, one between pairs,
           no trailing space; term ids 1..N strictly increasing; weights finite, > 0, printed
           as %.15g prints them; unit L2 norm per line to 1e-6; document ids strictly
           increasing over the files in the order train, pt0..pt3, starting at --first-id;
  qrels    "<TOPIC> <docid> 1" exactly; topics from --topics; lines grouped by document in
           document order, topics bytewise sorted within a document, no repeats; every
           ancestor of a topic present (C151 -> C15 -> CCAT); every document id in a vector
           file.
With --realism also: non-zeros per line mean within 60..100 and median within 45..80 (real
RCV1: 77.7 and 62 on 1,000 documents), 2.5..4.5 topics per document (real 3.24), CCAT on
35..60% of documents (real 47%); only meaningful for 500 documents or more.
Prints one summary line and exits 0, or prints "check_lyrl: FILE:LINE: what is wrong" and
exits 1 at the first error. Usage errors exit 2.
"""

import argparse
import gzip
import math
import os
import re
import sys

VEC_FILES = ["lyrl2004_vectors_train.dat.gz"] + \
    ["lyrl2004_vectors_test_pt%d.dat.gz" % i for i in range(4)]
QRELS = "rcv1v2.topics.qrels.gz"
VEC_RE = re.compile(rb"^([1-9][0-9]*)  ([1-9][0-9]*:[^ :\n]+(?: [1-9][0-9]*:[^ :\n]+)*)\n\Z")
QREL_RE = re.compile(rb"^([A-Z0-9]+) ([1-9][0-9]*) 1\n\Z")


class Bad(Exception):
    pass


def parent_of(code, known):
    if code.endswith("CAT"):
        return None
    if len(code) > 3 and code[:-1] in known:
        return code[:-1]
    return code[0] + "CAT"


def check_vectors(path, nf, prev_id, stats):
    ids = []
    with gzip.open(path, "rb") as f:
        for ln, line in enumerate(f, 1):
            where = "%s:%d" % (path, ln)
            m = VEC_RE.match(line)
            if not m:
                raise Bad("%s: not '<docid>  <termid>:<weight> ...' (two spaces after the id, "
                          "single spaces between pairs, no trailing space)" % where)
            docid = int(m.group(1))
            if docid <= prev_id:
                raise Bad("%s: document id %d not above the previous %d" % (where, docid, prev_id))
            prev_id = docid
            last, ss = 0, 0.0
            pairs = m.group(2).split(b" ")
            for p in pairs:
                t, v = p.split(b":")
                t = int(t)
                if t <= last:
                    raise Bad("%s: term id %d not above the previous %d" % (where, t, last))
                if t > nf:
                    raise Bad("%s: term id %d above --n-features %d" % (where, t, nf))
                last = t
                try:
                    x = float(v)
                except ValueError:
                    raise Bad("%s: weight '%s' is not a number" % (where, v.decode()))
                if not math.isfinite(x) or x <= 0:
                    raise Bad("%s: weight %s not finite and positive" % (where, v.decode()))
                if ("%.15g" % x).encode() != v:
                    raise Bad("%s: weight '%s' not printed as %%.15g" % (where, v.decode()))
                ss += x * x
            if abs(math.sqrt(ss) - 1.0) > 1e-6:
                raise Bad("%s: L2 norm %.9f, not 1" % (where, math.sqrt(ss)))
            ids.append(docid)
            stats["nnz"].append(len(pairs))
    return ids, prev_id


def check_qrels(path, topics, order):
    per_doc = {}
    pos = {d: i for i, d in enumerate(order)}
    last_doc, last_pos, cur = None, -1, []
    with gzip.open(path, "rb") as f:
        for ln, line in enumerate(f, 1):
            where = "%s:%d" % (path, ln)
            m = QREL_RE.match(line)
            if not m:
                raise Bad("%s: not '<TOPIC> <docid> 1'" % where)
            t, d = m.group(1).decode(), int(m.group(2))
            if t not in topics:
                raise Bad("%s: unknown topic %s" % (where, t))
            if d not in pos:
                raise Bad("%s: document %d is in no vector file" % (where, d))
            if d != last_doc:
                if pos[d] <= last_pos:
                    raise Bad("%s: document %d out of order (or its lines not together)"
                              % (where, d))
                last_doc, last_pos, cur = d, pos[d], []
                per_doc[d] = cur
            elif t.encode() <= cur[-1].encode():
                raise Bad("%s: topic %s not after %s (bytewise, no repeats)" % (where, t, cur[-1]))
            cur.append(t)
    for d, ts in per_doc.items():
        have = set(ts)
        for t in ts:
            p = parent_of(t, topics)
            if p is not None and p not in have:
                raise Bad("%s: document %d has %s but not its parent %s" % (path, d, t, p))
    return per_doc


def main():
    ap = argparse.ArgumentParser(prog="check_lyrl")
    ap.add_argument("--n-features", type=int, default=47236)
    ap.add_argument("--topics", default=os.path.join(os.path.dirname(__file__), "..", "data",
                                                     "rcv1.topics.txt"))
    ap.add_argument("--first-id", type=int, default=2286)
    ap.add_argument("--realism", action="store_true")
    ap.add_argument("dir")
    a = ap.parse_args()
    with open(a.topics) as f:
        topics = set(f.read().split())
    stats = {"nnz": []}
    order, prev = [], a.first_id - 1
    try:
        for i, name in enumerate(VEC_FILES):
            ids, prev = check_vectors(os.path.join(a.dir, name), a.n_features, prev, stats)
            if i == 0 and ids and ids[0] != a.first_id:
                raise Bad("%s:1: first document id %d, not %d" % (name, ids[0], a.first_id))
            order += ids
        per_doc = check_qrels(os.path.join(a.dir, QRELS), topics, order)
        n = len(order)
        nnz = sorted(stats["nnz"])
        mean_nnz = sum(nnz) / n if n else 0.0
        median_nnz = nnz[n // 2] if n else 0
        tot = sum(len(v) for v in per_doc.values())
        ccat = sum(1 for v in per_doc.values() if "CCAT" in v)
        used = set(t for v in per_doc.values() for t in v)
        if a.realism:
            if not 60 <= mean_nnz <= 100 or not 45 <= median_nnz <= 80:
                raise Bad("%s: non-zeros per line mean %.1f median %d, not RCV1-like"
                          % (a.dir, mean_nnz, median_nnz))
            if not 2.5 <= tot / n <= 4.5:
                raise Bad("%s: %.2f topics per document, not RCV1-like" % (a.dir, tot / n))
            if not 0.35 <= ccat / n <= 0.60:
                raise Bad("%s: CCAT on %.1f%% of documents, not RCV1-like"
                          % (a.dir, 100.0 * ccat / n))
    except Bad as e:
        sys.stderr.write("check_lyrl: %s\n" % e)
        return 1
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        sys.stderr.write("check_lyrl: %s\n" % e)
        return 1
    print("check_lyrl: OK: %d documents, ids %d..%d, %d non-zeros (%d..%d, mean %.1f, median "
          "%d per line), %d topic assignments over %d topics, %d documents without topics"
          % (n, order[0] if n else 0, order[-1] if n else 0, sum(nnz), nnz[0] if n else 0,
             nnz[-1] if n else 0, mean_nnz, median_nnz, tot, len(used), n - len(per_doc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
