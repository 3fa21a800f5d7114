#!/usr/bin/env bats
# svm2h5: conversion of LYRL / SVMlight text into the aekit dataset file.
bats_require_minimum_version 1.5.0
load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    printf '2286  1:0.5 3:0.25 7:0.75\n2287  2:1.0\n2290  \n2291  4:0.125 5:0.5\n' > v.dat
    printf 'CCAT 2286 1\nC151 2286 1\nC15 2286 1\nGCAT 2291 1\nCCAT 2286 1\nE11 9999 1\n' > q
}

# h5 FILE EXPR: evaluate a Python expression over the h5py File f
h5() { "$PYTHON" -c "import h5py,numpy as np,sys; f=h5py.File(sys.argv[1],'r'); print($2)" "$1"; }

@test "--help prints usage on stdout and exits 0" {
    run -0 --separate-stderr svm2h5 --help
    assert_line --index 0 --partial 'usage: svm2h5 [-o OUT.h5]'
    assert_stderr ''
}

@test "converts LYRL rows: shape, CSR arrays, sample ids, feature ids" {
    run -0 --separate-stderr svm2h5 -q -o out.h5 v.dat
    assert_output ''
    assert_stderr ''
    run -0 h5 out.h5 'f.attrs["shape"].tolist(), f["indptr"][()].tolist(), f["indices"][()].tolist()'
    assert_output '[4, 7] [0, 3, 4, 4, 6] [0, 2, 6, 1, 3, 4]'
    run -0 h5 out.h5 'f["data"][()].tolist(), f["sample_id"][()].tolist(), f["feature_ids"][()].tolist()'
    assert_output '[0.5, 0.25, 0.75, 1.0, 0.125, 0.5] [2286, 2287, 2290, 2291] [1, 2, 3, 4, 5, 6, 7]'
    run -0 h5 out.h5 'f.attrs["format"], f.attrs["format_version"], f["data"].dtype, f["indptr"].dtype, f["indices"].dtype'
    assert_output 'aekit-dataset 1 float32 int64 int32'
    run -0 h5 out.h5 'f.attrs["created_by"].startswith("svm2h5 0"), "-o out.h5" in f.attrs["created_by"], f.attrs["created_at"][-1]'
    assert_output 'True True Z'
}

@test "--qrels fills targets and bytewise-sorted target names, and reports counts" {
    run -0 --separate-stderr svm2h5 -o out.h5 --qrels q v.dat
    assert_stderr "svm2h5: q: 5 topics, 4 document-topic pairs; 2 documents without a topic; 1 qrels lines for unknown documents
svm2h5: wrote out.h5: 4 x 7, 6 non-zeros"
    run -0 h5 out.h5 '[n.decode() for n in f["target_names"][()]], [t.tolist() for t in f["targets"][()]], f.attrs["num_target_categories"]'
    assert_output "['C15', 'C151', 'CCAT', 'E11', 'GCAT'] [[0, 1, 2], [], [], [4]] 5"
}

@test ".gz input, standard input and several files are concatenated in order" {
    printf '3000  1:1\n' > b.dat
    gzip -k v.dat
    run -0 --separate-stderr svm2h5 -q -o out.h5 v.dat.gz - < b.dat
    run -0 h5 out.h5 'f["sample_id"][()].tolist()'
    assert_output '[2286, 2287, 2290, 2291, 3000]'
}

@test "--jobs 1 and --jobs 4 give identical datasets" {
    for i in 1 2 3 4 5; do
        awk -v o=$((i * 10000)) '{ $1 = $1 + o; print }' v.dat > p$i.dat
    done
    run -0 svm2h5 -q -j 1 -o a.h5 p1.dat p2.dat p3.dat p4.dat p5.dat
    run -0 svm2h5 -q -j 4 -o b.h5 p1.dat p2.dat p3.dat p4.dat p5.dat
    run -0 h5dump -d data -d indices -d indptr -d sample_id a.h5
    local a="$output"
    run -0 h5dump -d data -d indices -d indptr -d sample_id b.h5
    [ "${output//b.h5/a.h5}" = "$a" ]
}

@test "--n-features fixes the width" {
    run -0 svm2h5 -q --n-features 50 -o out.h5 v.dat
    run -0 h5 out.h5 'f.attrs["num_features"], len(f["feature_ids"])'
    assert_output '50 50'
}

@test "--zero-based keeps ids as columns" {
    printf '1 0:1 4:2\n' > z.dat
    run -0 svm2h5 -q --zero-based -o out.h5 z.dat
    run -0 h5 out.h5 'f["indices"][()].tolist(), f.attrs["num_features"]'
    assert_output '[0, 4] 5'
}

@test "--labels reads generic SVMlight into /labels" {
    printf -- '-1 qid:2 1:0.5 3:1 # first\n+1 2:2\n' > s.svm
    run -0 svm2h5 -q --labels -o out.h5 s.svm
    run -0 h5 out.h5 'f["labels"][()].tolist(), f["indices"][()].tolist()'
    assert_output '[-1.0, 1.0] [0, 2, 1]'
}

@test "default output name comes from the first input" {
    run -0 svm2h5 -q v.dat
    [ -f v.h5 ]
}

@test "--compress 0 writes uncompressed chunks, default is deflate" {
    run -0 svm2h5 -q --compress 0 -o a.h5 v.dat
    run -0 svm2h5 -q -o b.h5 v.dat
    run -0 h5 a.h5 'f["data"].compression, f["data"].chunks is not None'
    assert_output 'None True'
    run -0 h5 b.h5 'f["data"].compression'
    assert_output 'gzip'
}

# ---- bad input: one line "svm2h5: FILE:LINE: what", exit 1, no output file left

bad() {  # bad FILE-CONTENT EXPECTED-STDERR [extra options]
    printf "$1" > bad.dat
    shift
    local want="$1"
    shift
    run -1 --separate-stderr svm2h5 -q "$@" -o out.h5 bad.dat
    assert_stderr "$want"
    assert_output ''
    run ls
    refute_output --partial out.h5
}

@test "error: malformed pair" {
    bad '1  1:1\n2  1:0.5 7\n' "svm2h5: bad.dat:2: malformed pair '7' (expected INDEX:VALUE)"
}
@test "error: id 0 in 1-based mode" {
    bad '1  0:1\n' "svm2h5: bad.dat:1: feature id 0 in '0:1', but ids are 1-based (use --zero-based)"
}
@test "error: id out of range" {
    bad '1  3:1\n2  9:1\n' "svm2h5: bad.dat:2: feature id 9 out of range (--n-features 5)" --n-features 5
}
@test "error: ids not increasing" {
    bad '1  3:1 2:1\n' "svm2h5: bad.dat:1: feature ids not increasing (2 after 3)"
}
@test "error: non-finite value" {
    bad '1  3:nan\n' "svm2h5: bad.dat:1: non-finite value in '3:nan'"
}
@test "error: unparsable value" {
    bad '1  3:0.1.2\n' "svm2h5: bad.dat:1: unparsable value in '3:0.1.2'"
}
@test "error: bad document id" {
    bad '1  3:1\nx7  3:1\n' "svm2h5: bad.dat:2: expected a document id, got 'x7'"
}
@test "error: duplicate document id" {
    bad '1  3:1\n2  3:1\n1  4:1\n' "svm2h5: bad.dat:3: duplicate document id 1 (first seen at row 1)"
}
@test "error: truncated gzip" {
    for i in $(seq 2000); do printf '%d  1:0.5 3:0.25\n' $i; done | gzip > full.gz
    head -c 3000 full.gz > cut.dat.gz
    run -1 --separate-stderr svm2h5 -q -o out.h5 cut.dat.gz
    assert_stderr --regexp '^svm2h5: cut.dat.gz:[0-9]+: truncated gzip file \(unexpected end of data\)$'
    [[ "$stderr" != *cut.dat.gz:1:* ]]
    assert_file_absent out.h5
}
@test "error: missing input file" {
    run -1 --separate-stderr svm2h5 -q -o out.h5 nope.dat
    assert_stderr 'svm2h5: nope.dat: No such file or directory'
    assert_file_absent out.h5
}
@test "error: bad qrels line" {
    printf 'CCAT 2286\n' > badq
    run -1 --separate-stderr svm2h5 -q -o out.h5 --qrels badq v.dat
    assert_stderr "svm2h5: badq:1: expected '<TOPIC> <docid> 1'"
    assert_file_absent out.h5
}
@test "error: unwritable output" {
    run -1 --separate-stderr svm2h5 -q -o nodir/out.h5 v.dat
    assert_stderr --regexp '^svm2h5: nodir/out.h5.tmp.[0-9]+: cannot create file: No such file or directory$'
}
@test "an existing output is kept when conversion fails" {
    echo precious > out.h5
    printf '1  0:1\n' > bad.dat
    run -1 svm2h5 -q -o out.h5 bad.dat
    run -0 cat out.h5
    assert_output precious
}

# ---- usage errors: exit 2

@test "usage: no input" {
    run -2 --separate-stderr svm2h5
    assert_stderr "svm2h5: no input files
usage: svm2h5 [-o OUT.h5] [--qrels FILE] [--n-features N] [--zero-based] [--labels]
              [--compress L] [--jobs N] [-q] FILE..."
}
@test "usage: bad numbers and options" {
    run -2 --separate-stderr svm2h5 --compress 10 v.dat
    assert_stderr_line 'svm2h5: --compress: 10 is out of range (0..9)'
    run -2 --separate-stderr svm2h5 --jobs x v.dat
    assert_stderr_line "svm2h5: --jobs: 'x' is not an integer"
    run -2 --separate-stderr svm2h5 --n-features 0 v.dat
    assert_stderr_line 'svm2h5: --n-features: 0 is out of range (1..2147483647)'
    run -2 --separate-stderr svm2h5 --bogus v.dat
    assert_stderr_line "svm2h5: unknown option '--bogus'"
    run -2 --separate-stderr svm2h5 v.dat -o
    assert_stderr_line "svm2h5: option '-o' needs a value"
}
@test "usage: incompatible and impossible combinations" {
    run -2 --separate-stderr svm2h5 --labels --qrels q v.dat
    assert_stderr_line 'svm2h5: --qrels needs document ids: it cannot be used with --labels'
    run -2 --separate-stderr svm2h5 - -o x.h5 -
    assert_stderr_line 'svm2h5: standard input (-) can be read only once'
    run -2 --separate-stderr svm2h5 -
    assert_stderr_line 'svm2h5: reading standard input needs -o OUT.h5'
}

# ---- real data: 1,000 real RCV1 vectors (tests/data, see PROVENANCE.md)

@test "real RCV1 vectors convert with values equal to the text to float32 rounding" {
    awk '{ printf "%d ", 5000 + NR; for (i = 3; i <= NF; i++) printf " %s", $i; print "" }' \
        "$TESTS_DIR/data/vw_rcv1_small.dat" > real.dat
    run -0 svm2h5 -q -o real.h5 real.dat
    run -0 "$PYTHON" - real.dat real.h5 <<'PY'
import sys, h5py, numpy as np
rows = [l.split()[1:] for l in open(sys.argv[1])]
f = h5py.File(sys.argv[2], "r")
ip, ix, d = f["indptr"][()], f["indices"][()], f["data"][()]
assert len(rows) == len(ip) - 1 == 1000
for r, toks in enumerate(rows):
    cols = [int(t.split(":")[0]) - 1 for t in toks]
    vals = np.array([float(t.split(":")[1]) for t in toks], dtype=np.float32)
    assert ix[ip[r]:ip[r+1]].tolist() == cols, r
    assert np.array_equal(d[ip[r]:ip[r+1]], vals), r
assert ip[-1] == sum(len(t) for t in rows)
norms = np.sqrt(np.add.reduceat(d.astype(np.float64) ** 2, ip[:-1]))
print("ok", round(float(norms.min()), 4), round(float(norms.max()), 4))
PY
    assert_output 'ok 1.0 1.0'
}

# ---- against a real reader: scikit-learn's load_svmlight_files, as fetch_rcv1 uses it

@test "generated corpus: same matrix, sample ids and targets as scikit-learn" {
    mkdir c
    "$REPO_DIR/examples/gen-corpus" -q --docs 500 --seed 3 --out c
    files=(c/lyrl2004_vectors_train.dat.gz c/lyrl2004_vectors_test_pt{0,1,2,3}.dat.gz)
    run -0 svm2h5 -q -o g.h5 --n-features 47236 --qrels c/rcv1v2.topics.qrels.gz "${files[@]}"
    run -0 "$PYTHON" "$TESTS_DIR/ref/sklearn_roundtrip.py" --n-features 47236 g.h5 \
        c/rcv1v2.topics.qrels.gz "${files[@]}"
    run -0 svm2h5 -q -j 1 -o w.h5 --qrels c/rcv1v2.topics.qrels.gz "${files[@]}"
    run -0 "$PYTHON" "$TESTS_DIR/ref/sklearn_roundtrip.py" w.h5 c/rcv1v2.topics.qrels.gz "${files[@]}"
}

@test "real RCV1 vectors, LYRL and SVMlight forms: same as scikit-learn" {
    "$PYTHON" "$TESTS_DIR/ref/vw_to_lyrl.py" --lyrl v.dat.gz --svmlight v.svm --qrels v.qrels \
        "$TESTS_DIR/data/vw_rcv1_small.dat"
    run -0 svm2h5 -q -o v.h5 --qrels v.qrels v.dat.gz
    run -0 "$PYTHON" "$TESTS_DIR/ref/sklearn_roundtrip.py" v.h5 v.qrels v.dat.gz
    run -0 svm2h5 -q --labels -o s.h5 v.svm
    run -0 "$PYTHON" "$TESTS_DIR/ref/sklearn_roundtrip.py" --labels s.h5 - v.svm
}

@test "the built-in sample converts and matches scikit-learn" {
    s="$REPO_DIR/examples/sample"
    files=("$s"/lyrl2004_vectors_train.dat.gz "$s"/lyrl2004_vectors_test_pt{0,1,2,3}.dat.gz)
    run -0 svm2h5 -q -o s.h5 --n-features 47236 --qrels "$s/rcv1v2.topics.qrels.gz" "${files[@]}"
    run -0 "$PYTHON" "$TESTS_DIR/ref/sklearn_roundtrip.py" --n-features 47236 s.h5 \
        "$s/rcv1v2.topics.qrels.gz" "${files[@]}"
}
