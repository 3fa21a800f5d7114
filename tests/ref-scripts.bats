#!/usr/bin/env bats
# tests/ref/*.py: the Python reference scripts other suites trust. Each must be able to fail:
# these tests feed them bad input and check that they say so.
bats_require_minimum_version 1.5.0
load helper

REF="$TESTS_DIR/ref"
GEN="$REPO_DIR/examples/gen-corpus"
VECS=(lyrl2004_vectors_train.dat.gz lyrl2004_vectors_test_pt0.dat.gz
      lyrl2004_vectors_test_pt1.dat.gz lyrl2004_vectors_test_pt2.dat.gz
      lyrl2004_vectors_test_pt3.dat.gz)

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# mkcorpus DIR TRAIN_TEXT QRELS_TEXT: a corpus whose test parts are empty
mkcorpus() {
    mkdir -p "$1"
    printf '%b' "$2" | gzip -n > "$1/lyrl2004_vectors_train.dat.gz"
    local i
    for i in 0 1 2 3; do gzip -n < /dev/null > "$1/lyrl2004_vectors_test_pt$i.dat.gz"; done
    printf '%b' "$3" | gzip -n > "$1/rcv1v2.topics.qrels.gz"
}

# vecs DIR: the five vector files of DIR in fetch_rcv1's order
vecs() {
    local f
    for f in "${VECS[@]}"; do printf '%s\n' "$1/$f"; done
}

@test "check_lyrl: accepts a hand-made valid corpus" {
    mkcorpus ok '2286  5:1\n2288  3:0.6 4:0.8\n' 'C15 2286 1\nCCAT 2286 1\nGCAT 2288 1\n'
    run -0 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" ok
    assert_output "check_lyrl: OK: 2 documents, ids 2286..2288, 3 non-zeros (1..2, mean 1.5, median 2 per line), 3 topic assignments over 3 topics, 0 documents without topics"
}

@test "check_lyrl: rejects each malformed vector line with FILE:LINE" {
    local fmt="not '<docid>  <termid>:<weight> ...' (two spaces after the id, single spaces between pairs, no trailing space)"
    local f=lyrl2004_vectors_train.dat.gz
    mkcorpus one '2286 5:1\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" one
    assert_stderr "check_lyrl: one/$f:1: $fmt"
    mkcorpus trail '2286  5:1 \n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" trail
    assert_stderr "check_lyrl: trail/$f:1: $fmt"
    mkcorpus order '2286  5:1\n2287  5:0.6 4:0.8\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" order
    assert_stderr "check_lyrl: order/$f:2: term id 4 not above the previous 5"
    mkcorpus zero '2286  0:1\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" zero
    assert_stderr "check_lyrl: zero/$f:1: $fmt"
    mkcorpus wide '2286  47237:1\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" wide
    assert_stderr "check_lyrl: wide/$f:1: term id 47237 above --n-features 47236"
    mkcorpus norm '2286  5:0.5\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" norm
    assert_stderr "check_lyrl: norm/$f:1: L2 norm 0.500000000, not 1"
    mkcorpus print '2286  5:1.0\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" print
    assert_stderr "check_lyrl: print/$f:1: weight '1.0' not printed as %.15g"
    mkcorpus nan '2286  5:nan\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" nan
    assert_stderr "check_lyrl: nan/$f:1: weight nan not finite and positive"
    mkcorpus dup '2286  5:1\n2286  6:1\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" dup
    assert_stderr "check_lyrl: dup/$f:2: document id 2286 not above the previous 2286"
    mkcorpus first '2290  5:1\n' ''
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" first
    assert_stderr "check_lyrl: lyrl2004_vectors_train.dat.gz:1: first document id 2290, not 2286"
}

@test "check_lyrl: rejects each malformed qrels case" {
    local q=rcv1v2.topics.qrels.gz
    mkcorpus unk '2286  5:1\n' 'CCAT 2287 1\n'
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" unk
    assert_stderr "check_lyrl: unk/$q:1: document 2287 is in no vector file"
    mkcorpus parent '2286  5:1\n' 'C151 2286 1\nCCAT 2286 1\n'
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" parent
    assert_stderr "check_lyrl: parent/$q: document 2286 has C151 but not its parent C15"
    mkcorpus sorted '2286  5:1\n' 'CCAT 2286 1\nC15 2286 1\n'
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" sorted
    assert_stderr "check_lyrl: sorted/$q:2: topic C15 not after CCAT (bytewise, no repeats)"
    mkcorpus apart '2286  5:1\n2287  5:1\n' 'CCAT 2286 1\nGCAT 2287 1\nECAT 2286 1\n'
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" apart
    assert_stderr "check_lyrl: apart/$q:3: document 2286 out of order (or its lines not together)"
    mkcorpus name '2286  5:1\n' 'XCAT 2286 1\n'
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" name
    assert_stderr "check_lyrl: name/$q:1: unknown topic XCAT"
    mkcorpus three '2286  5:1\n' 'CCAT 2286 0\n'
    run -1 --separate-stderr "$PYTHON" "$REF/check_lyrl.py" three
    assert_stderr "check_lyrl: three/$q:1: not '<TOPIC> <docid> 1'"
}

@test "sklearn_roundtrip: its own reference file matches; every corrupted part is reported" {
    mkdir c
    "$GEN" -q --docs 300 --seed 4 --out c
    mapfile -t files < <(vecs c)
    run -0 "$PYTHON" "$REF/sklearn_roundtrip.py" --write --n-features 47236 ref.h5 \
        c/rcv1v2.topics.qrels.gz "${files[@]}"
    run -0 --separate-stderr "$PYTHON" "$REF/sklearn_roundtrip.py" --n-features 47236 ref.h5 \
        c/rcv1v2.topics.qrels.gz "${files[@]}"
    assert_output --regexp '^sklearn_roundtrip: OK: 300 x 47236, nnz [0-9]+, float32 values within float32 rounding \(max 0\.[0-9]+ ulp\), sample ids 2286\.\.[0-9]+, targets nnz [0-9]+ over [0-9]+ topics \([0-9]+ documents without, 0 qrels lines for unknown documents\)$'
    # one float32 ulp off, a wrong id, wrong topics, swapped names, a wrong column
    cp ref.h5 bad.h5
    "$PYTHON" -c 'import h5py, numpy as np
f = h5py.File("bad.h5", "r+")
d = f["data"]; d[100] = np.nextafter(d[100], np.float32(2))
f["sample_id"][5] = 1
f["targets"][7] = np.array([0, 1], dtype=np.int32)
n = f["target_names"]; a, b = n[0], n[1]; n[0] = b; n[1] = a
i = f["indices"]; i[3] = i[3] + 1'
    run -1 --separate-stderr "$PYTHON" "$REF/sklearn_roundtrip.py" --n-features 47236 bad.h5 \
        c/rcv1v2.topics.qrels.gz "${files[@]}"
    assert_output ""
    assert_stderr_line --partial "sklearn_roundtrip: MISMATCH: /indices[3] (row 0) = "
    assert_stderr_line --partial "sklearn_roundtrip: MISMATCH: /data[100] (row "
    assert_stderr_line --partial "1 values beyond float32 rounding"
    assert_stderr_line --partial "sklearn_roundtrip: MISMATCH: /sample_id[5] = 1, scikit-learn 2"
    assert_stderr_line --partial "sklearn_roundtrip: MISMATCH: /target_names: "
    assert_stderr_line --partial "sklearn_roundtrip: MISMATCH: /targets[7] (document "
    # the width decides the shape
    run -1 --separate-stderr "$PYTHON" "$REF/sklearn_roundtrip.py" --n-features 47237 ref.h5 \
        c/rcv1v2.topics.qrels.gz "${files[@]}"
    assert_stderr_line "sklearn_roundtrip: MISMATCH: shape attribute (300, 47236), scikit-learn (300, 47237)"
}

@test "sklearn_roundtrip: a Python-layout file (no aekit additions) is not taken for svm2h5 output" {
    "$PYTHON" "$REF/vw_to_lyrl.py" --lyrl v.dat "$TESTS_DIR/data/vw_rcv1_small.dat"
    "$PYTHON" "$REF/make_h5.py" csr py.h5 --rows 50
    run -1 --separate-stderr "$PYTHON" "$REF/sklearn_roundtrip.py" py.h5 - v.dat
    assert_stderr_line "sklearn_roundtrip: MISMATCH: attribute format = None, not 'aekit-dataset'"
}

@test "make_h5 csr: the Python tool's layout and each variant readers must accept" {
    local check='import h5py, json, sys, numpy as np, scipy.sparse as sp
f = h5py.File(sys.argv[1], "r")
want = dict(a.split("=") for a in sys.argv[2:])
names = sorted(f.keys()); attrs = sorted(f.attrs.keys())
assert names == ["data", "indices", "indptr", "target_names", "targets"], names
assert attrs == ["num_features", "num_samples", "num_target_categories",
                 "original_num_features", "shape"], attrs
assert str(f["data"].dtype) == want["data"], f["data"].dtype
assert str(f["indptr"].dtype) == want["indptr"], f["indptr"].dtype
assert f["indices"].dtype == np.int32
tn = f["target_names"]
assert (h5py.check_string_dtype(tn.dtype).length is None) == (want["names"] == "vlen")
assert (f["data"].compression == "gzip") == (want["gzip"] == "1")
assert [x.decode() for x in tn[...]] == open(want["topics"]).read().split()
X = sp.csr_matrix((f["data"][...], f["indices"][...], f["indptr"][...]),
                  shape=tuple(f.attrs["shape"]))
assert X.has_sorted_indices and X.shape == (50, 300) and f.attrs["original_num_features"] == 3 * 300
e = json.load(open(want["expect"]))
assert e["nnz"] == X.nnz and e["empty_rows"] == int(np.sum(np.diff(X.indptr) == 0)) == 1
assert np.allclose(sp.linalg.norm(X, axis=1)[np.diff(X.indptr) > 0], 1, atol=1e-6)
t = f["targets"][...]
assert e["docs_without_topics"] == sum(1 for r in t if len(r) == 0) == 1
assert all(list(r) == sorted(r) for r in t)
'
    local topics="$TESTS_DIR/data/rcv1.topics.txt"
    "$PYTHON" "$REF/make_h5.py" csr a.h5 --rows 50 --untagged-every 50 --expect > a.json
    run -0 "$PYTHON" -c "$check" a.h5 data=float32 indptr=int64 names=fixed gzip=0 \
        topics="$topics" expect=a.json
    "$PYTHON" "$REF/make_h5.py" csr b.h5 --rows 50 --untagged-every 50 --float64 --int32-indptr \
        --vlen-names --compress --expect > b.json
    run -0 "$PYTHON" -c "$check" b.h5 data=float64 indptr=int32 names=vlen gzip=1 \
        topics="$topics" expect=b.json
    # the checker itself can fail
    run -1 "$PYTHON" -c "$check" b.h5 data=float32 indptr=int32 names=vlen gzip=1 \
        topics="$topics" expect=b.json
    "$PYTHON" "$REF/make_h5.py" csr c.h5 --rows 50 --no-targets
    run -0 "$PYTHON" -c 'import h5py, sys
f = h5py.File(sys.argv[1], "r")
sys.exit(0 if "targets" not in f and f.attrs["num_target_categories"] == 0 else 1)' c.h5
}

@test "vw_to_lyrl: real vectors as LYRL2004 and SVMlight, same matrix through scikit-learn" {
    run -0 "$PYTHON" "$REF/vw_to_lyrl.py" --lyrl v.dat.gz --svmlight v.svm --qrels v.qrels \
        "$TESTS_DIR/data/vw_rcv1_small.dat"
    assert_output "vw_to_lyrl: 1000 documents, 77739 non-zeros, ids 2286..3427"
    run -0 "$PYTHON" "$REF/vw_to_lyrl.py" --lyrl w.dat.gz "$TESTS_DIR/data/vw_rcv1_small.dat"
    cmp v.dat.gz w.dat.gz
    [ "$(zcat v.dat.gz | head -1 | cut -c1-17)" = "2286  9:6.2699720" ]
    [ "$(head -1 v.svm | cut -c1-15)" = "-1 9:6.2699720e" ]
    [ "$(head -3 v.qrels | tr '\n' ,)" = "NEG 2286 1,NEG 2287 1,POS 2288 1," ]
    run -0 "$PYTHON" -c 'import sys, numpy as np
from sklearn.datasets import load_svmlight_file
A, ids = load_svmlight_file("v.dat.gz", zero_based=False)
B, y = load_svmlight_file("v.svm", zero_based=False)
vw = [l.split() for l in open(sys.argv[1])]
ok = (A != B).nnz == 0 and A.shape == (1000, 47117)
ok = ok and np.all(np.diff(ids) > 0) and list(y) == [float(t[0]) for t in vw]
sys.exit(0 if ok else 1)' "$TESTS_DIR/data/vw_rcv1_small.dat"
    # and through the round-trip reference, with the made-up POS/NEG topics
    run -0 "$PYTHON" "$REF/sklearn_roundtrip.py" --write v.h5 v.qrels v.dat.gz
    run -0 "$PYTHON" "$REF/sklearn_roundtrip.py" v.h5 v.qrels v.dat.gz
    assert_output --partial "targets nnz 1000 over 2 topics"
    printf -- '-1 f 9:0.5\n' > bad2.vw
    run -1 --separate-stderr "$PYTHON" "$REF/vw_to_lyrl.py" --lyrl x.dat bad2.vw
    assert_stderr "vw_to_lyrl: bad2.vw:1: not '<label> |f <id>:<value> ...'"
}
