#!/usr/bin/env bats
# examples/download-dataset: rcv1-fetch -> svm2h5 -> h5-topk-features against a file:// mirror
# of six small generated LYRL files; the result is compared with the tools run by hand and
# with the numpy reference of h5-topk-features.
bats_require_minimum_version 1.5.0
load helper

DD="$REPO_DIR/examples/download-dataset"
USAGE='usage: download-dataset OUTDIR [--n-features N] [--by sum|df] [--raw DIR] [--base-url URL] [--checksums FILE] [-q]'
FILES='lyrl2004_vectors_train.dat.gz lyrl2004_vectors_test_pt0.dat.gz lyrl2004_vectors_test_pt1.dat.gz lyrl2004_vectors_test_pt2.dat.gz lyrl2004_vectors_test_pt3.dat.gz rcv1v2.topics.qrels.gz'

setup() {
    cd "$BATS_TEST_TMPDIR"
    mkdir mirror
    # five vector files (document ids increasing across them, as in LYRL2004) and the qrels
    "$PYTHON" - <<'EOF'
import gzip, numpy as np
rng = np.random.default_rng(7)
doc = 2286
topics = ["C15", "C151", "CCAT", "E11", "ECAT", "GCAT", "M11", "MCAT"]
qrels = []
for name in ["train", "test_pt0", "test_pt1", "test_pt2", "test_pt3"]:
    lines = []
    for _ in range(40):
        cols = np.sort(rng.choice(np.arange(1, 61), size=int(rng.integers(1, 12)), replace=False))
        v = rng.random(len(cols)) + 0.05
        v /= np.linalg.norm(v)
        lines.append(f"{doc}  " + " ".join(f"{c}:{x:.6f}" for c, x in zip(cols, v)))
        for t in rng.choice(topics, size=int(rng.integers(0, 3)), replace=False):
            qrels.append(f"{t} {doc} 1")
        doc += int(rng.integers(1, 4))
    with gzip.open(f"mirror/lyrl2004_vectors_{name}.dat.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
with gzip.open("mirror/rcv1v2.topics.qrels.gz", "wt") as f:
    f.write("\n".join(qrels) + "\n")
EOF
    (cd mirror && sha256sum $FILES) > sums
}

need_tools() {
    if ! command -v rcv1-fetch >/dev/null || ! command -v svm2h5 >/dev/null; then
        skip "rcv1-fetch or svm2h5 not built"
    fi
}

ref() { "$PYTHON" "$TESTS_DIR/ref/topk_ref.py" "$@"; }
meta() { sed -n "s/^$1: //p" "$2"; }
by_hand() {
    local m=mirror
    svm2h5 -q -o full.h5 --n-features 47236 --qrels $m/rcv1v2.topics.qrels.gz \
        $m/lyrl2004_vectors_train.dat.gz $m/lyrl2004_vectors_test_pt0.dat.gz \
        $m/lyrl2004_vectors_test_pt1.dat.gz $m/lyrl2004_vectors_test_pt2.dat.gz \
        $m/lyrl2004_vectors_test_pt3.dat.gz
}

@test "--n-features N: the top-N dataset and its metadata, as the tools give by hand" {
    need_tools
    run -0 --separate-stderr "$DD" -q out --n-features 20 --base-url "file://$PWD/mirror" --checksums sums
    assert_stderr ''
    assert_output ''
    by_hand
    run -0 ref full.h5 out/rcv1_dataset.h5 -k 20 --by sum
    run -0 "$PYTHON" -c 'import h5py; f=h5py.File("out/rcv1_dataset.h5","r"); print(f.attrs["shape"].tolist(), f.attrs["original_num_features"], len(f["target_names"]))'
    assert_output '[200, 20] 47236 8'
    [ "$(meta num_samples out/rcv1_metadata.txt)" = 200 ]
    [ "$(meta num_features out/rcv1_metadata.txt)" = 20 ]
    [ "$(meta feature_selection out/rcv1_metadata.txt)" = 'top 20 by sum' ]
    [ "$(meta target_names out/rcv1_metadata.txt)" = 'C15,C151,CCAT,E11,ECAT,GCAT,M11,MCAT' ]
    run -0 "$PYTHON" -c 'import h5py; f=h5py.File("full.h5","r"); print(len(f["data"]), sum(len(t) for t in f["targets"][()]))'
    read -r nnz tnnz <<< "$output"
    [ "$(meta nnz out/rcv1_metadata.txt)" -le "$nnz" ]
    [ "$(meta target_nnz out/rcv1_metadata.txt)" = "$tnnz" ]
    # the sources listed are the verified files
    diff <(sed -n 's/^  //p' out/rcv1_metadata.txt) sums
    run -0 ls out
    assert_output 'raw
rcv1_dataset.h5
rcv1_metadata.txt'
}

@test "without --n-features every column is kept; a second run fetches nothing" {
    need_tools
    run -0 --separate-stderr "$DD" out --by df --base-url "file://$PWD/mirror" --checksums sums
    assert_stderr_line 'download-dataset: wrote out/rcv1_dataset.h5 and out/rcv1_metadata.txt'
    by_hand
    run -0 h5dump -d data -d indices -d indptr -d sample_id full.h5
    local a="$output"
    run -0 h5dump -d data -d indices -d indptr -d sample_id out/rcv1_dataset.h5
    [ "${output//out\/rcv1_dataset.h5/full.h5}" = "$a" ]
    [ "$(meta num_features out/rcv1_metadata.txt)" = 47236 ]
    [ "$(meta feature_selection out/rcv1_metadata.txt)" = none ]
    touch -d '2000-01-01' out/raw/*.gz
    run -0 --separate-stderr "$DD" -q out --n-features 5 --raw out/raw --base-url "file://$PWD/mirror" --checksums sums
    run -0 find out/raw -newer sums -name '*.gz'
    assert_output ''
    run -0 ref full.h5 out/rcv1_dataset.h5 -k 5
}

@test "a failed download stops the pipeline: exit 1, no dataset" {
    need_tools
    # one wrong hex digit in the first digest
    awk 'NR == 1 { c = substr($0, 1, 1); $0 = (c == "0" ? "1" : "0") substr($0, 2) } 1' sums > s2
    mv s2 sums
    run -1 --separate-stderr "$DD" -q out --n-features 5 --base-url "file://$PWD/mirror" --checksums sums
    assert_stderr_line 'download-dataset: rcv1-fetch failed'
    assert_file_absent out/rcv1_dataset.h5
    assert_file_absent out/rcv1_metadata.txt
}

@test "usage errors: exit 2 with the reason and the usage line" {
    run -2 --separate-stderr "$DD"
    assert_stderr "download-dataset: missing OUTDIR
$USAGE"
    run -2 --separate-stderr "$DD" out --n-features 0
    assert_stderr "download-dataset: --n-features: '0' is not a positive integer
$USAGE"
    run -2 --separate-stderr "$DD" out -n x
    assert_stderr "download-dataset: -n: 'x' is not a positive integer
$USAGE"
    run -2 --separate-stderr "$DD" out --n-features
    assert_stderr "download-dataset: option '--n-features' needs a value
$USAGE"
    run -2 --separate-stderr "$DD" out --by max
    assert_stderr "download-dataset: --by: 'max' is not sum or df
$USAGE"
    run -2 --separate-stderr "$DD" out --bogus
    assert_stderr "download-dataset: unknown option '--bogus'
$USAGE"
    run -2 --separate-stderr "$DD" out other
    assert_stderr "download-dataset: unexpected argument 'other'
$USAGE"
    run -0 --separate-stderr "$DD" --help
    assert_output "$USAGE"
}
