#!/usr/bin/env bats
# examples/gen-corpus: the synthetic LYRL2004 corpus used by the tests and the demo.
# Format checks use tests/ref/check_lyrl.py (strict parser); the scikit-learn side of the
# round trip is in tests/ref-scripts.bats and tests/svm2h5.bats.
bats_require_minimum_version 1.5.0
load helper

GEN="$REPO_DIR/examples/gen-corpus"
CHECK="$TESTS_DIR/ref/check_lyrl.py"
USAGE='usage: gen-corpus [--docs N] [--seed S] [--n-features N] [--train-frac F] [--out DIR] [-q]'
FILES=(lyrl2004_vectors_train.dat.gz lyrl2004_vectors_test_pt0.dat.gz
       lyrl2004_vectors_test_pt1.dat.gz lyrl2004_vectors_test_pt2.dat.gz
       lyrl2004_vectors_test_pt3.dat.gz rcv1v2.topics.qrels.gz)

setup() {
    cd "$BATS_TEST_TMPDIR"
}

# same_files DIR1 DIR2: the six corpus files are byte-identical
same_files() {
    local f
    for f in "${FILES[@]}"; do
        cmp "$1/$f" "$2/$f" || return 1
    done
}

@test "gen-corpus --help prints the usage on stdout and exits 0" {
    run -0 --separate-stderr "$GEN" --help
    assert_line --index 0 "$USAGE"
    assert_output --partial "--train-frac F"
    assert_output --partial "rcv1v2.topics.qrels.gz"
    assert_stderr ""
}

@test "gen-corpus: usage errors name the option and exit 2" {
    mkdir out
    run -2 --separate-stderr "$GEN" --docs 0 --out out
    assert_stderr "gen-corpus: --docs: 0 is out of range (1..100000000)
$USAGE"
    run -2 --separate-stderr "$GEN" --docs 12x --out out
    assert_stderr "gen-corpus: --docs: '12x' is not an integer
$USAGE"
    run -2 --separate-stderr "$GEN" --n-features 999 --out out
    assert_stderr "gen-corpus: --n-features: 999 is out of range (1000..100000000)
$USAGE"
    run -2 --separate-stderr "$GEN" --seed -1 --out out
    assert_stderr "gen-corpus: --seed: -1 is out of range (0..9223372036854775807)
$USAGE"
    run -2 --separate-stderr "$GEN" --train-frac 1.5 --out out
    assert_stderr "gen-corpus: --train-frac: 1.5 is out of range (0..1)
$USAGE"
    run -2 --separate-stderr "$GEN" --train-frac half --out out
    assert_stderr "gen-corpus: --train-frac: 'half' is not a number
$USAGE"
    run -2 --separate-stderr "$GEN" --train-frac nan --out out
    assert_stderr "gen-corpus: --train-frac: nan is out of range (0..1)
$USAGE"
    run -2 --separate-stderr "$GEN" --out missing
    assert_stderr "gen-corpus: --out: missing is not a directory
$USAGE"
    run -2 --separate-stderr "$GEN" --bogus
    assert_stderr "gen-corpus: unrecognized arguments: --bogus
$USAGE"
    run -2 --separate-stderr "$GEN" --docs
    assert_stderr "gen-corpus: argument --docs: expected one argument
$USAGE"
    run -2 --separate-stderr "$GEN" extra
    assert_stderr "gen-corpus: unrecognized arguments: extra
$USAGE"
    [ -z "$(ls -A out)" ]
}

@test "gen-corpus: a file that cannot be written is exit 1, no temporary file left" {
    mkdir out out/lyrl2004_vectors_test_pt1.dat.gz
    run -1 --separate-stderr "$GEN" --docs 40 --out out
    assert_stderr "gen-corpus: cannot write out/lyrl2004_vectors_test_pt1.dat.gz: Is a directory"
    run ls out
    refute_output --partial ".tmp"
}

@test "gen-corpus: the split follows --train-frac (LYRL2004 share by default), summary on stderr" {
    mkdir a b c
    run -0 --separate-stderr "$GEN" --docs 600 --seed 3 --out a
    assert_output ""
    assert_stderr_line --partial "gen-corpus: 600 documents (17 train, test 146+146+146+145), "
    assert_stderr_line --partial " -> a"
    run -0 --separate-stderr "$GEN" --docs 10 --train-frac 0 --out b
    assert_stderr_line --partial "gen-corpus: 10 documents (0 train, test 3+3+2+2), "
    [ "$(zcat b/lyrl2004_vectors_train.dat.gz | wc -c)" -eq 0 ]
    run -0 --separate-stderr "$GEN" --docs 10 --train-frac 1 -q --out c
    assert_stderr ""
    [ "$(zcat c/lyrl2004_vectors_train.dat.gz | wc -l)" -eq 10 ]
    [ "$(zcat c/lyrl2004_vectors_test_pt3.dat.gz | wc -c)" -eq 0 ]
    run -0 "$PYTHON" "$CHECK" b
    run -0 "$PYTHON" "$CHECK" c
}

@test "gen-corpus: same seed, same bytes (on either interpreter); another seed, other bytes" {
    mkdir a b c
    "$GEN" -q --docs 300 --seed 11 --out a
    "$PYTHON" "$GEN" -q --docs 300 --seed 11 --out b
    "$GEN" -q --docs 300 --seed 12 --out c
    same_files a b
    run ! cmp a/lyrl2004_vectors_test_pt0.dat.gz c/lyrl2004_vectors_test_pt0.dat.gz
    run ! cmp a/rcv1v2.topics.qrels.gz c/rcv1v2.topics.qrels.gz
    # gzip header: no file name, mtime 0
    run -0 "$PYTHON" -c 'import sys
h = open(sys.argv[1], "rb").read(10)
sys.exit(0 if h[:4] == b"\x1f\x8b\x08\x00" and h[4:8] == b"\0\0\0\0" else 1)' a/rcv1v2.topics.qrels.gz
}

@test "gen-corpus: output passes the strict LYRL2004 format check, RCV1-like statistics" {
    mkdir a small
    "$GEN" -q --docs 2000 --seed 5 --out a
    run -0 --separate-stderr "$PYTHON" "$CHECK" --realism a
    assert_output --regexp '^check_lyrl: OK: 2000 documents, ids 2286\.\.[0-9]+, '
    "$GEN" -q --docs 200 --seed 5 --n-features 1000 --out small
    run -0 --separate-stderr "$PYTHON" "$CHECK" --n-features 1000 small
}

@test "gen-corpus: its topic codes are the 103 RCV1 codes of tests/data/rcv1.topics.txt" {
    run -0 "$PYTHON" -c 'import importlib.machinery, sys
m = importlib.machinery.SourceFileLoader("gen", sys.argv[1]).load_module()
want = open(sys.argv[2]).read().split()
sys.exit(0 if m.TOPICS == want and len(want) == 103 else 1)' "$GEN" "$TESTS_DIR/data/rcv1.topics.txt"
}

@test "gen-corpus: scikit-learn reads it as fetch_rcv1 does (n_features=47236, ids as labels)" {
    mkdir a
    "$GEN" -q --docs 500 --seed 2 --out a
    run -0 "$PYTHON" -c 'import sys, numpy as np
from sklearn.datasets import load_svmlight_files
d = sys.argv[1]
names = ["train"] + ["test_pt%d" % i for i in range(4)]
Xy = load_svmlight_files(["%s/lyrl2004_vectors_%s.dat.gz" % (d, n) for n in names],
                         n_features=47236)
ids = np.hstack(Xy[1::2])
ok = sum(X.shape[0] for X in Xy[0::2]) == 500 and all(X.shape[1] == 47236 for X in Xy[0::2])
ok = ok and ids[0] == 2286 and np.all(np.diff(ids) > 0)
ok = ok and min(X.indices.min() for X in Xy[0::2] if X.nnz) >= 0
sys.exit(0 if ok else 1)' a
}

@test "examples/sample: regenerates byte-identically from the command in its README" {
    local cmd
    cmd=$(sed -n 's/^    \(examples\/gen-corpus .*\)$/\1/p' "$REPO_DIR/examples/sample/README")
    [[ "$cmd" == *"--out examples/sample" ]]
    mkdir regen
    (cd "$REPO_DIR" && ${cmd% --out examples/sample} -q --out "$BATS_TEST_TMPDIR/regen")
    same_files "$REPO_DIR/examples/sample" regen
}

@test "examples/sample: under 1 MB, valid, RCV1-like, has documents without topics" {
    local total
    total=$(cat "$REPO_DIR"/examples/sample/* | wc -c)
    (( total < 1000000 ))
    run -0 --separate-stderr "$PYTHON" "$CHECK" --realism "$REPO_DIR/examples/sample"
    assert_output --regexp ', [1-9][0-9]* documents without topics$'
}
