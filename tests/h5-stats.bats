#!/usr/bin/env bats
# h5-stats: dataset listing and statistics, checked against numpy (tests/ref/stats_ref.py) on
# files that h5py writes in the Python tool's layout.
bats_require_minimum_version 1.5.0
load helper

USAGE='usage: h5-stats [--json | --tsv] [--top N] [--zero-tol X] FILE [DATASET...]'

setup() {
    cd "$BATS_TEST_TMPDIR"
}

mk() { "$PYTHON" "$TESTS_DIR/ref/make_h5.py" "$@"; }
ref() { "$PYTHON" "$TESTS_DIR/ref/stats_ref.py" "$@"; }
# h5py FILE CODE: run Python code with f = h5py.File(FILE, 'a')
h5py_edit() { "$PYTHON" -c "import h5py,numpy as np,sys; f=h5py.File(sys.argv[1],'a'); $2" "$1"; }

@test "--help prints usage on stdout and exits 0" {
    run -0 --separate-stderr h5-stats --help
    assert_line --index 0 "$USAGE"
    assert_stderr ''
}

@test "Python tool's layout: JSON report equals numpy (CSR, top columns, targets)" {
    mk csr py.h5 --rows 700 --cols 400 --empty-every 37
    run -0 --separate-stderr h5-stats --json --top 25 py.h5
    assert_stderr ''
    ref --top 25 py.h5 <<< "$output"
}

@test "int32 indptr, float64 data, vlen names, labels, aekit feature_ids: equals numpy" {
    mk csr b.h5 --rows 900 --cols 60 --aekit --int32-indptr --float64 --vlen-names --labels
    run -0 --separate-stderr h5-stats --json --top 60 b.h5
    assert_stderr ''
    ref --top 60 b.h5 <<< "$output"
    # the top list reports the recorded feature ids, not column + 1
    run -0 "$PYTHON" -c 'import json,sys,h5py; r=json.load(sys.stdin); f=h5py.File("b.h5","r")
t=r["statistics"]["csr"]["top_columns"][0]; print(t["feature_id"]==f["feature_ids"][t["column"]], t["feature_id"]!=t["column"]+1)' <<< "$output"
    assert_output 'True True'
}

@test "latent codes and errors: per-column and overall statistics equal numpy" {
    mk dense d.h5 --rows 1500 --cols 9
    run -0 --separate-stderr h5-stats --json d.h5
    assert_stderr ''
    ref d.h5 <<< "$output"
    run -0 --separate-stderr h5-stats --json --zero-tol 0 d.h5
    ref --zero-tol 0 d.h5 <<< "$output"
    run -0 --separate-stderr h5-stats --json --zero-tol 0.5 d.h5
    ref --zero-tol 0.5 d.h5 <<< "$output"
}

@test "the reference check fails when the report is wrong" {
    mk dense d.h5 --rows 300 --cols 4
    run -0 --separate-stderr h5-stats --json --zero-tol 0 d.h5
    run -1 ref d.h5 <<< "$output"
    assert_output --partial 'sparsity'
}

@test "text report: listing with shape, type, chunks, compression, then the sections" {
    mk dense d.h5 --rows 1000 --cols 8
    mk csr a.h5 --rows 300 --cols 50
    run -0 --separate-stderr h5-stats d.h5
    assert_stderr ''
    assert_line --index 0 'file: d.h5'
    assert_line --index 1 'format: none (version 0)'
    assert_line --regexp '^/codes +1000x8 +float32 +100x8 +deflate\(4\)$'
    assert_line --regexp '^/errors +1000 +float32 +contiguous +none$'
    assert_line --regexp '^/sample_id +1000 +uint32 +contiguous +none$'
    assert_line '/codes: dense 1000 x 8, sparsity = fraction with |x| <= 1e-06'
    assert_line --regexp '^ +0 +0 +0 +0 +0 +1\.000000$'
    assert_line '/errors: vector of 1000 values'
    run -0 --separate-stderr h5-stats --top 3 a.h5
    assert_line '/data, /indices, /indptr: CSR matrix 300 x 50'
    assert_line '  top 3 columns by document frequency:'
    # make_h5.py names every RCV1 topic code of tests/data/rcv1.topics.txt
    assert_line --regexp "^/targets: $(wc -w < "$TESTS_DIR/data/rcv1.topics.txt") topics over 300 documents"
}

@test "--tsv: header, four fields per row, same numbers as --json" {
    mk dense d.h5 --rows 400 --cols 5
    mk csr a.h5 --rows 300 --cols 50
    for f in d.h5 a.h5; do
        h5-stats --tsv --top 4 $f > $f.tsv
        h5-stats --json --top 4 $f > $f.json
        run -0 "$PYTHON" - $f.tsv $f.json <<'EOF'
import json, math, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
assert rows[0] == ["dataset", "statistic", "item", "value"], rows[0]
assert all(len(r) == 4 for r in rows), "not 4 fields"
t = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
st = json.load(open(sys.argv[2]))["statistics"]
n = 0
for name, s in st.items():
    if s["kind"] == "dense":
        for c in s["columns"]:
            for k in ("mean", "std", "min", "max", "sparsity"):
                assert math.isclose(float(t[(name, k, str(c["column"]))]), c[k], rel_tol=1e-8, abs_tol=1e-12); n += 1
    if s["kind"] == "vector":
        for k in ("mean", "std", "median", "p90", "p99", "max"):
            assert math.isclose(float(t[(name, k, "-")]), s[k], rel_tol=1e-8); n += 1
    if s["kind"] == "csr":
        assert int(t[(name, "nnz", "-")]) == s["nnz"]; n += 1
        for c in s["top_columns"]:
            assert int(t[(name, "df", str(c["column"]))]) == c["df"]; n += 1
            assert int(t[(name, "feature_id", str(c["column"]))]) == c["feature_id"]; n += 1
    if s["kind"] == "targets":
        for d in s["documents_per_topic"]:
            assert int(t[(name, "documents", d["topic"])]) == d["documents"]; n += 1
print(n > 0)
EOF
        assert_output 'True'
    done
}

@test "DATASET arguments restrict the listing and the statistics" {
    mk dense d.h5 --rows 100 --cols 3
    run -0 --separate-stderr h5-stats --json d.h5 errors
    run -0 "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print([d["name"] for d in r["datasets"]], list(r["statistics"]))' <<< "$output"
    assert_output "['/errors'] ['/errors']"
    mk csr a.h5 --rows 50 --cols 20
    run -0 --separate-stderr h5-stats --json a.h5 /indptr
    run -0 "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print([d["name"] for d in r["datasets"]], list(r["statistics"]))' <<< "$output"
    assert_output "['/indptr'] ['csr']"
}

@test "a file svm2h5 wrote: listing shows chunking and compression" {
    if ! command -v svm2h5 >/dev/null; then skip "svm2h5 not built"; fi
    printf '2286  1:0.6 3:0.8\n2287  2:1.0\n' > v.dat
    printf 'CCAT 2286 1\nGCAT 2287 1\n' > q
    svm2h5 -q -o s.h5 --qrels q v.dat
    run -0 --separate-stderr h5-stats s.h5
    assert_line 'format: aekit-dataset version 1'
    assert_line --regexp '^/data +3 +float32 +[0-9]+ +'
    run -0 --separate-stderr h5-stats --json s.h5
    ref s.h5 <<< "$output"
}

@test "usage errors: exit 2 with the reason and the usage line" {
    run -2 --separate-stderr h5-stats
    assert_stderr "h5-stats: no input file
$USAGE"
    run -2 --separate-stderr h5-stats --json --tsv x.h5
    assert_stderr "h5-stats: --json and --tsv cannot be used together
$USAGE"
    run -2 --separate-stderr h5-stats --top -1 x.h5
    assert_stderr "h5-stats: --top: -1 is out of range (0..1000000)
$USAGE"
    run -2 --separate-stderr h5-stats --top many x.h5
    assert_stderr "h5-stats: --top: 'many' is not an integer
$USAGE"
    run -2 --separate-stderr h5-stats --zero-tol -1 x.h5
    assert_stderr "h5-stats: --zero-tol: -1 is out of range (0..1e+300)
$USAGE"
    run -2 --separate-stderr h5-stats --zero-tol nan x.h5
    assert_stderr "h5-stats: --zero-tol: 'nan' is not a number
$USAGE"
    run -2 --separate-stderr h5-stats --bogus x.h5
    assert_stderr "h5-stats: unknown option '--bogus'
$USAGE"
}

@test "runtime errors: exit 1 with one line naming the file" {
    run -1 --separate-stderr h5-stats nope.h5
    assert_stderr 'h5-stats: nope.h5: No such file or directory'
    echo 'not hdf5' > junk.h5
    run -1 --separate-stderr h5-stats junk.h5
    assert_stderr 'h5-stats: junk.h5: not an HDF5 file'
    mk dense d.h5 --rows 10 --cols 2
    run -1 --separate-stderr h5-stats d.h5 codes nope
    assert_stderr 'h5-stats: d.h5: no dataset /nope'
    assert_output ''
}

@test "damaged CSR and targets are reported, not summarised" {
    mk csr a.h5 --rows 20 --cols 10
    cp a.h5 b.h5
    h5py_edit a.h5 'p=f["indptr"][()]; del f["indptr"]; p[-1]-=1; f["indptr"]=p'
    run -1 --separate-stderr h5-stats a.h5
    assert_stderr --regexp '^h5-stats: a\.h5: /indptr does not span /data \(0\.\.[0-9]+, nnz [0-9]+\)$'
    cp b.h5 c.h5
    h5py_edit c.h5 'i=f["indices"][()]; p=f["indptr"][()]; r=int(np.argmax(np.diff(p)>0)); i[p[r]]=10; del f["indices"]; f["indices"]=i; print(r)' > row
    run -1 --separate-stderr h5-stats c.h5
    assert_stderr "h5-stats: c.h5: row $(cat row): column index 10 out of range or not increasing"
    h5py_edit b.h5 'del f["targets"]; f["targets"]=np.zeros(20, np.int32)'
    run -1 --separate-stderr h5-stats b.h5
    assert_stderr 'h5-stats: b.h5: /targets is not a 1-D variable-length dataset'
}

@test "a write error on standard output is reported" {
    mk dense d.h5 --rows 10 --cols 2
    run -1 --separate-stderr bash -c 'h5-stats d.h5 > /dev/full'
    assert_stderr 'h5-stats: write error on standard output: No space left on device'
}
