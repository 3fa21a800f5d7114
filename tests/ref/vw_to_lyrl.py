#!/usr/bin/python3
"""vw_to_lyrl.py: real RCV1 vectors (Vowpal Wabbit text) as LYRL2004 and SVMlight files.

usage: vw_to_lyrl.py [--first-id ID] [--lyrl OUT] [--svmlight OUT] [--qrels OUT] VW_FILE

VW_FILE is tests/data/vw_rcv1_small.dat: lines "<+1|-1|1> |f <id>:<value> ...", real RCV1
documents as unit-norm TF-IDF vectors (feature ids strictly increasing, not the LYRL term ids;
see tests/data/PROVENANCE.md). Each line is rewritten with its pairs copied byte for byte:
  --lyrl OUT      "<docid>  <id>:<value> ..." (LYRL2004: two spaces after the id), document
                  ids made up: increasing from --first-id (default 2286), skipping one id after
                  every 7th document, like the gaps of the real corpus;
  --svmlight OUT  "<+1|-1> <id>:<value> ..." (generic SVMlight, for svm2h5 --labels);
  --qrels OUT     "<TOPIC> <docid> 1" with the made-up ids: POS for label +1, NEG for -1,
                  so the real-data fixture has targets too.
An OUT ending in .gz is gzip-compressed (level 9, mtime 0, no name: same bytes every run).
Prints one summary line on stdout; exits 1 on a malformed input line, 2 on a usage error.
"""

import argparse
import gzip
import re
import sys

LINE_RE = re.compile(r"^([+-]?1) \|f ((?:[0-9]+:[^ :\n]+)(?: [0-9]+:[^ :\n]+)*)\s*$")


def opener(path):
    if path.endswith(".gz"):
        raw = open(path, "wb")
        return gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0), raw
    return open(path, "wb"), None


def main():
    ap = argparse.ArgumentParser(prog="vw_to_lyrl")
    ap.add_argument("--first-id", type=int, default=2286)
    ap.add_argument("--lyrl")
    ap.add_argument("--svmlight")
    ap.add_argument("--qrels")
    ap.add_argument("vw")
    a = ap.parse_args()
    if not (a.lyrl or a.svmlight or a.qrels):
        ap.error("give at least one of --lyrl, --svmlight, --qrels")
    outs = {}
    for key in ("lyrl", "svmlight", "qrels"):
        if getattr(a, key):
            outs[key] = opener(getattr(a, key))
    docid, n, nnz = a.first_id, 0, 0
    with open(a.vw) as f:
        for ln, line in enumerate(f, 1):
            m = LINE_RE.match(line)
            if not m:
                sys.stderr.write("vw_to_lyrl: %s:%d: not '<label> |f <id>:<value> ...'\n"
                                 % (a.vw, ln))
                return 1
            pos = not m.group(1).startswith("-")
            pairs = m.group(2)
            if "lyrl" in outs:
                outs["lyrl"][0].write(("%d  %s\n" % (docid, pairs)).encode())
            if "svmlight" in outs:
                outs["svmlight"][0].write(("%s %s\n" % ("+1" if pos else "-1", pairs)).encode())
            if "qrels" in outs:
                outs["qrels"][0].write(("%s %d 1\n" % ("POS" if pos else "NEG", docid)).encode())
            n += 1
            nnz += pairs.count(":")
            docid += 2 if n % 7 == 0 else 1
    for w, raw in outs.values():
        w.close()
        if raw is not None:
            raw.close()
    print("vw_to_lyrl: %d documents, %d non-zeros, ids %d..%d"
          % (n, nnz, a.first_id, docid - (2 if n % 7 == 0 else 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
