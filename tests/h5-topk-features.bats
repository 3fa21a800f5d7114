#!/usr/bin/env bats
# h5-topk-features: kept columns and values checked against numpy/scipy (tests/ref/topk_ref.py)
# on generated corpora, for both criteria; attributes, copies and every error path.
bats_require_minimum_version 1.5.0
load helper

USAGE='usage: h5-topk-features -k N [--by sum|df] [-o OUT.h5] [--compress L] [-q] IN.h5'

setup() {
    cd "$BATS_TEST_TMPDIR"
}

mk() { "$PYTHON" "$TESTS_DIR/ref/make_h5.py" "$@"; }
ref() { "$PYTHON" "$TESTS_DIR/ref/topk_ref.py" "$@"; }
h5() { "$PYTHON" -c "import h5py,numpy as np,sys; f=h5py.File(sys.argv[1],'r'); print($2)" "$1"; }
h5py_edit() { "$PYTHON" -c "import h5py,numpy as np,sys; f=h5py.File(sys.argv[1],'a'); $2" "$1"; }

@test "--help prints usage on stdout and exits 0" {
    run -0 --separate-stderr h5-topk-features --help
    assert_line --index 0 "$USAGE"
    assert_stderr ''
}

@test "--by sum and --by df keep the same columns and values as numpy (Python layout)" {
    mk csr py.h5 --rows 800 --cols 500 --empty-every 41 --labels
    for by in sum df; do
        for k in 1 13 100 499; do
            run -0 --separate-stderr h5-topk-features -q -k $k --by $by -o out.h5 py.h5
            assert_stderr ''
            assert_output ''
            run -0 ref py.h5 out.h5 -k $k --by $by
        done
    done
}

@test "df ties at the cut go to the lower column, as the numpy reference does" {
    mk csr py.h5 --rows 300 --cols 400
    # find a k whose cut falls inside a run of equal document frequencies
    k=$("$PYTHON" -c 'import h5py,numpy as np; f=h5py.File("py.h5","r")
df=np.bincount(f["indices"][()], minlength=400); s=np.sort(df)[::-1]
print(next(k for k in range(1,400) if s[k-1]==s[k] and s[k]>0))')
    run -0 h5-topk-features -q -k "$k" --by df -o out.h5 py.h5
    run -0 ref py.h5 out.h5 -k "$k" --by df
}

@test "hand-made ties: equal sums keep the lower column; order and values unchanged" {
    "$PYTHON" - <<'EOF'
import h5py, numpy as np
# columns: 0 sum .5, 1 sum 1.0, 2 sum .25, 3 sum 1.0 (tie with 1), 4 sum 2.0
rows = [[(1, .5), (3, .25), (4, 1.0)], [(0, .5), (3, .75), (4, 1.0)], [(1, .5), (2, .25)]]
with h5py.File("t.h5", "w") as f:
    f["data"] = np.array([v for r in rows for _, v in r], np.float32)
    f["indices"] = np.array([c for r in rows for c, _ in r], np.int32)
    f["indptr"] = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    f.attrs["shape"] = (3, 5)
    f.attrs["num_features"] = 5
EOF
    run -0 h5-topk-features -q -k 2 -o out.h5 t.h5
    run -0 h5 out.h5 'f["feature_ids"][()].tolist(), f["indices"][()].tolist(), f["indptr"][()].tolist(), f["data"][()].tolist()'
    assert_output '[2, 5] [0, 1, 1, 0] [0, 2, 3, 4] [0.5, 1.0, 1.0, 0.5]'
    run -0 ref t.h5 out.h5 -k 2
}

@test "aekit input: feature_ids compose through a second selection" {
    mk csr a.h5 --rows 600 --cols 300 --aekit
    run -0 h5-topk-features -q -k 120 --by df -o b.h5 a.h5
    run -0 ref a.h5 b.h5 -k 120 --by df
    run -0 h5-topk-features -q -k 15 --by sum -o c.h5 b.h5
    run -0 ref b.h5 c.h5 -k 15 --by sum
    # c's ids are a's ids of the columns kept twice
    run -0 h5 c.h5 'f.attrs["original_num_features"], set(f["feature_ids"][()]) <= set(h5py.File("a.h5","r")["feature_ids"][()])'
    assert_output '900 True'
}

@test "other datasets, groups and root attributes are copied; attributes updated" {
    mk csr a.h5 --rows 200 --cols 80 --aekit --labels
    h5py_edit a.h5 'f["extra/codes"]=np.ones((3,2),np.float32); f.attrs["note"]="kept"; f.attrs["weights"]=[1.5,2.5]'
    run -0 --separate-stderr h5-topk-features -k 10 -o out.h5 a.h5
    assert_stderr 'h5-topk-features: kept 10 of 80 columns by sum, 200 rows: out.h5'
    run -0 ref a.h5 out.h5 -k 10
    run -0 h5 out.h5 'f["extra/codes"][()].sum(), f.attrs["note"], f.attrs["weights"].tolist(), f.attrs["num_features"], f.attrs["shape"].tolist(), f.attrs["criterion"], f.attrs["k"]'
    assert_output '6.0 kept [1.5, 2.5] 10 [200, 10] sum 10'
    run -0 h5 out.h5 '"-k 10 -o out.h5 a.h5" in f.attrs["created_by"], f.attrs["created_at"] != "2026-01-01T00:00:00Z"'
    assert_output 'True True'
}

@test "-k at or above the width copies every column with a warning" {
    mk csr a.h5 --rows 100 --cols 40
    run -0 --separate-stderr h5-topk-features -k 40 -o out.h5 a.h5
    assert_stderr "h5-topk-features: -k 40 is not below the 40 columns of a.h5: keeping every column
h5-topk-features: kept 40 of 40 columns by sum, 100 rows: out.h5"
    run -0 ref a.h5 out.h5 -k 40
    run -0 --separate-stderr h5-topk-features -q -k 1000 --by df -o out2.h5 a.h5
    assert_stderr "h5-topk-features: -k 1000 is not below the 40 columns of a.h5: keeping every column"
    run -0 ref a.h5 out2.h5 -k 1000 --by df
}

@test "without -o the output is IN.topN.h5; --compress 0 writes no filters" {
    mk csr a.h5 --rows 50 --cols 30
    run -0 h5-topk-features -q -k 5 --compress 0 a.h5
    [ -f a.top5.h5 ]
    run -0 ref a.h5 a.top5.h5 -k 5
    run -0 h5 a.top5.h5 'f["data"].compression, f["indices"].compression'
    assert_output 'None None'
}

@test "usage errors: exit 2 with the reason and the usage line" {
    run -2 --separate-stderr h5-topk-features a.h5
    assert_stderr "h5-topk-features: -k N is required
$USAGE"
    run -2 --separate-stderr h5-topk-features -k 0 a.h5
    assert_stderr "h5-topk-features: -k: 0 is out of range (1..2147483647)
$USAGE"
    run -2 --separate-stderr h5-topk-features -k -5 a.h5
    assert_stderr "h5-topk-features: -k: -5 is out of range (1..2147483647)
$USAGE"
    run -2 --separate-stderr h5-topk-features -k ten a.h5
    assert_stderr "h5-topk-features: -k: 'ten' is not an integer
$USAGE"
    run -2 --separate-stderr h5-topk-features -k 5 --by max a.h5
    assert_stderr "h5-topk-features: --by: 'max' is not sum or df
$USAGE"
    run -2 --separate-stderr h5-topk-features -k 5 --compress 10 a.h5
    assert_stderr "h5-topk-features: --compress: 10 is out of range (0..9)
$USAGE"
    run -2 --separate-stderr h5-topk-features -k 5
    assert_stderr "h5-topk-features: no input file
$USAGE"
    run -2 --separate-stderr h5-topk-features -k 5 a.h5 b.h5
    assert_stderr "h5-topk-features: one input file expected, got 2
$USAGE"
    run -2 --separate-stderr h5-topk-features -k 5 --bogus a.h5
    assert_stderr "h5-topk-features: unknown option '--bogus'
$USAGE"
}

@test "runtime errors: exit 1, one line, no output file left behind" {
    run -1 --separate-stderr h5-topk-features -k 5 -o out.h5 nope.h5
    assert_stderr 'h5-topk-features: nope.h5: No such file or directory'
    echo 'not hdf5' > junk.h5
    run -1 --separate-stderr h5-topk-features -k 5 -o out.h5 junk.h5
    assert_stderr 'h5-topk-features: junk.h5: not an HDF5 file'
    mk dense d.h5 --rows 10 --cols 3
    run -1 --separate-stderr h5-topk-features -k 5 -o out.h5 d.h5
    assert_stderr 'h5-topk-features: d.h5: not an aekit dataset (no CSR matrix /data, /indices, /indptr)'
    mk csr a.h5 --rows 30 --cols 20
    run -1 --separate-stderr h5-topk-features -k 5 -o nodir/out.h5 a.h5
    assert_stderr --regexp '^h5-topk-features: nodir/out\.h5\.tmp\.[0-9]+: cannot create file: No such file or directory$'
    h5py_edit a.h5 'i=f["indices"][()]; i[-1]=25; del f["indices"]; f["indices"]=i'
    run -1 --separate-stderr h5-topk-features -k 5 -o out.h5 a.h5
    assert_stderr 'h5-topk-features: a.h5: row 29: column index 25 out of range or not increasing'
    assert_file_absent out.h5
    run -0 bash -c 'ls | grep -v "^separate-stderr-"'
    assert_output "a.h5
d.h5
junk.h5"
}

@test "writing over the input replaces it only when complete" {
    mk csr a.h5 --rows 120 --cols 60
    cp a.h5 orig.h5
    run -0 h5-topk-features -q -k 9 --by df -o a.h5 a.h5
    run -0 ref orig.h5 a.h5 -k 9 --by df
    run -0 bash -c 'ls | grep -v "^separate-stderr-"'
    assert_output "a.h5
orig.h5"
}
