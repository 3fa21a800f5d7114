#!/usr/bin/env bats
# ae-recon-error: errors checked against PyTorch and against ae-encode -r, the summary, worst
# documents and per-topic means against numpy, -o into new and existing files, every refusal.
bats_require_minimum_version 1.5.0
load helper

USAGE='usage: ae-recon-error [-b N] [-d auto|cpu|cuda] [--top K] [--by-topic] [-o OUT.h5] [-q] DATASET CHECKPOINT'

# synthetic corpora: tests/ref/make_h5.py csr (row 3 empty, real RCV1 topic codes)
mk() { "$PYTHON" "$TESTS_DIR/ref/make_h5.py" "$@"; }

setup_file() {
    cd "$BATS_FILE_TMPDIR"
    mk csr d.h5 --rows 300 --cols 60 --seed 3 --aekit --untagged-every 10
    mk csr d0.h5 --rows 300 --cols 60 --seed 3
    mk csr d120.h5 --rows 120 --cols 60 --seed 3 --aekit
    mk csr dnt.h5 --rows 50 --cols 60 --seed 3 --aekit --no-targets
    mk csr d50.h5 --rows 40 --cols 50 --seed 4 --aekit
    ae-init 60,16,4 -o init.ckpt --seed 7 -a tanh
    "$PYTHON" "$TESTS_DIR/ref/torch_train_ckpt.py" init.ckpt d.h5 trained.ckpt --steps 300 >/dev/null
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    F="$BATS_FILE_TMPDIR"
}

@test "--help prints the usage on stdout" {
    run -0 --separate-stderr ae-recon-error --help
    [[ "${lines[0]}" == "$USAGE" ]]
    [[ "$output" == *"--by-topic"* ]]
    assert_stderr ""
}

@test "-o writes errors equal to PyTorch's" {
    run -0 --separate-stderr ae-recon-error -d cpu -q -b 64 -o err.h5 "$F/d.h5" "$F/trained.ckpt"
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$F/trained.ckpt" err.h5
    assert_output --partial "errors max rel"
    run -0 "$PYTHON" - "$F/d.h5" <<'EOF'
import sys, h5py, numpy as np
o, d = h5py.File("err.h5"), h5py.File(sys.argv[1])
assert o.attrs["format"] == "aekit-recon-errors" and o.attrs["format_version"] == 1
assert sorted(o) == ["reconstruction_errors", "sample_id"], list(o)
assert np.array_equal(o["sample_id"][()], d["sample_id"][()])
e = o["reconstruction_errors"]
assert e.dtype == np.float32 and e.shape == (300,) and e.attrs["num_features"] == 60
assert list(o.attrs["dims"]) == [60, 16, 4] and o.attrs["activation"] == "tanh"
EOF
}

@test "ae-encode -r and ae-recon-error -o give identical errors" {
    ae-encode -q -r -b 64 "$F/d.h5" "$F/trained.ckpt" enc.h5 >/dev/null
    ae-recon-error -q -b 64 -o err.h5 "$F/d.h5" "$F/trained.ckpt" >/dev/null
    run -0 "$PYTHON" -c '
import h5py, numpy as np, sys
a = h5py.File("enc.h5")["reconstruction_errors"][()]
b = h5py.File("err.h5")["reconstruction_errors"][()]
sys.exit(0 if a.shape == (300,) and np.array_equal(a, b) else 1)'
}

@test "-o adds the errors to an ae-encode output of the same dataset" {
    ae-encode -q -d cpu -b 64 "$F/d.h5" "$F/trained.ckpt" enc.h5 >/dev/null
    ae-encode -q -r -d cpu -b 64 "$F/d.h5" "$F/trained.ckpt" ref.h5 >/dev/null
    run -0 --separate-stderr ae-recon-error -q -d cpu -b 64 -o enc.h5 "$F/d.h5" "$F/trained.ckpt"
    run -0 "$PYTHON" - <<'EOF'
import h5py, numpy as np
a, b = h5py.File("enc.h5"), h5py.File("ref.h5")
assert sorted(a) == sorted(b), (list(a), list(b))
for k in ("latent_representations", "reconstruction_errors", "sample_id"):
    assert np.array_equal(a[k][()], b[k][()]), k
assert a.attrs["format"] == "aekit-encoding"
assert a.attrs["created_by"].startswith("ae-encode ")
EOF
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$F/trained.ckpt" enc.h5
    # a second time replaces the errors (here with another checkpoint's)
    run -0 --separate-stderr ae-recon-error -q -o enc.h5 "$F/d.h5" "$F/init.ckpt"
    run -0 "$PYTHON" -c '
import h5py
print(h5py.File("enc.h5")["reconstruction_errors"].attrs["checkpoint"])'
    assert_output "$F/init.ckpt"
    # and an earlier ae-recon-error output is simply rewritten
    ae-recon-error -q -o err.h5 "$F/d.h5" "$F/init.ckpt" >/dev/null
    run -0 --separate-stderr ae-recon-error -d cpu -q -o err.h5 "$F/d.h5" "$F/trained.ckpt"
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$F/trained.ckpt" err.h5
}

@test "summary, worst documents and per-topic means equal numpy's" {
    # every 10th document has no topic: shown as - and counted on the (none) line
    ae-recon-error -q -o err.h5 "$F/d.h5" "$F/trained.ckpt" >/dev/null
    run -0 --separate-stderr ae-recon-error --top 40 --by-topic "$F/d.h5" "$F/trained.ckpt"
    assert_stderr ""
    printf '%s\n' "$output" > report.txt
    run -0 "$PYTHON" - "$F/d.h5" <<'EOF'
import sys, h5py, numpy as np
d = h5py.File(sys.argv[1])
e = h5py.File("err.h5")["reconstruction_errors"][()]
e64 = e.astype(np.float64)
sid, names = d["sample_id"][()], [n.decode() for n in d["target_names"][()]]
targets = d["targets"][()]
blocks = open("report.txt").read().split("\n\n")
assert len(blocks) == 3, blocks
# 1: the summary, in h5-stats' format for a vector
s = blocks[0].splitlines()
assert s[0] == "/reconstruction_errors: vector of 300 values", s[0]
got = {l.split()[0]: float(l.split()[1]) for l in s[1:]}
want = {"mean": e64.mean(), "std": e64.std(), "min": e64.min(), "median": np.median(e64),
        "p90": np.percentile(e64, 90), "p99": np.percentile(e64, 99), "max": e64.max()}
assert list(got) == list(want), list(got)
for k in want:
    assert abs(got[k] - want[k]) <= 1e-5 * abs(want[k]), (k, got[k], want[k])
# 2: the 7 worst documents
t = blocks[1].splitlines()
assert t[0] == "worst 40 documents" and t[1] == "rank\tsample_id\terror\ttopics", t[:2]
order = sorted(range(len(e)), key=lambda i: (-e[i], i))[:40]
for k, (line, i) in enumerate(zip(t[2:], order)):
    want_line = "%d\t%d\t%s\t%s" % (k + 1, sid[i], line.split("\t")[2],
                                     ",".join(names[j] for j in targets[i]) or "-")
    assert line == want_line, (line, want_line)
    assert np.float32(line.split("\t")[2]) == e[i]
assert len(t) == 42
assert any(l.endswith("\t-") for l in t)   # some of the worst have no topic
# 3: per topic: mean error and count, highest mean first, then by name
b = blocks[2].splitlines()
assert b[0] == "mean error by topic" and b[1] == "topic\tdocuments\tmean_error", b[:2]
acc = {}
for i, ts in enumerate(targets):
    for j in ts:
        acc.setdefault(names[j], []).append(e64[i])
rows = sorted(((-np.mean(v), n, len(v)) for n, v in acc.items()), key=lambda x: (x[0], x[1]))
none = [e64[i] for i, ts in enumerate(targets) if len(ts) == 0]
assert len(none) == 30
rows.append((-np.mean(none), "(none)", len(none)))   # documents without topics come last
assert len(b) == 2 + len(rows), (len(b), len(rows))
for line, (m, n, c) in zip(b[2:], rows):
    f = line.split("\t")
    assert f[0] == n and int(f[1]) == c and abs(float(f[2]) + m) <= 1e-6 * -m, (line, n, c, -m)
EOF
}

@test "the summary is h5-stats' report of the written errors" {
    ae-recon-error -q --top 0 -o err.h5 "$F/d.h5" "$F/trained.ckpt" > report.txt
    run -0 h5-stats err.h5 reconstruction_errors
    [[ "$output" == *"$(cat report.txt)"* ]]
}

@test "documents without topics; --top larger than the corpus" {
    run -0 --separate-stderr ae-recon-error --top 1000 "$F/dnt.h5" "$F/trained.ckpt"
    assert_line "worst 50 documents"
    assert_line --regexp $'^50\t[0-9]+\t[0-9.e-]+\t-$'
}

@test "mismatched OUT.h5 is refused with a reason and left alone" {
    ae-encode -q "$F/d120.h5" "$F/trained.ckpt" enc120.h5 >/dev/null
    ae-encode -q "$F/d0.h5" "$F/trained.ckpt" enc0.h5 >/dev/null
    cp "$F/d.h5" dataset.h5
    echo "some text" > text.h5
    "$PYTHON" -c 'import h5py; h5py.File("plain.h5", "w").create_dataset("x", data=[1])'
    sha256sum enc120.h5 enc0.h5 dataset.h5 text.h5 plain.h5 > before.sum

    run -1 --separate-stderr ae-recon-error -o enc120.h5 "$F/d.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: enc120.h5: has 120 rows, $F/d.h5 has 300: not an encoding of this dataset"
    run -1 --separate-stderr ae-recon-error -o enc0.h5 "$F/d.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: enc0.h5: sample_id of row 0 is 0, in $F/d.h5 it is 2286: not an encoding of this dataset"
    run -1 --separate-stderr ae-recon-error -o dataset.h5 "$F/d.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: dataset.h5: exists and is an aekit-dataset file, not an ae-encode output; refusing to overwrite it"
    run -1 --separate-stderr ae-recon-error -o text.h5 "$F/d.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: text.h5: exists and is not an HDF5 file; refusing to overwrite it"
    run -1 --separate-stderr ae-recon-error -o plain.h5 "$F/d.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: plain.h5: exists and is not an ae-encode output (no format attribute); refusing to overwrite it"
    run -1 --separate-stderr ae-recon-error -o "$BATS_TEST_TMPDIR" "$F/d.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: $BATS_TEST_TMPDIR: not a regular file"

    run -0 sha256sum -c --quiet before.sum
    run -0 sh -c 'ls -A | grep -c "\.tmp\." || true'
    assert_output 0
}

@test "--by-topic needs topics" {
    run -1 --separate-stderr ae-recon-error --by-topic "$F/dnt.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: $F/dnt.h5: has no /targets and /target_names: --by-topic needs topics"
}

@test "width mismatch, wrong file kinds, unreadable checkpoints" {
    run -1 --separate-stderr ae-recon-error "$F/d50.h5" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: $F/d50.h5 has 50 features but $F/trained.ckpt expects 60 (d0 of dims 60,16,4)"
    run -1 --separate-stderr ae-recon-error "$F/d.h5" "$F/d.h5"
    assert_stderr "ae-recon-error: $F/d.h5: not an aekit checkpoint (format attribute is not 'aekit-checkpoint'); make one with ae-init or ae-train"
    run -1 --separate-stderr ae-recon-error "$F/trained.ckpt" "$F/trained.ckpt"
    assert_stderr "ae-recon-error: $F/trained.ckpt: not an aekit dataset (no CSR matrix /data, /indices, /indptr)"
    run -1 --separate-stderr ae-recon-error "$F/d.h5" missing.ckpt
    assert_stderr "ae-recon-error: missing.ckpt: No such file or directory"
    echo garbage > junk.ckpt
    run -1 --separate-stderr ae-recon-error -o out.h5 "$F/d.h5" junk.ckpt
    assert_stderr "ae-recon-error: junk.ckpt: not an HDF5 file (aekit checkpoints are made by ae-init and ae-train)"
    assert_file_absent out.h5
}

@test "usage errors" {
    run -2 --separate-stderr ae-recon-error
    assert_stderr "ae-recon-error: expected DATASET CHECKPOINT"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error a b c
    assert_stderr "ae-recon-error: expected DATASET CHECKPOINT"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error --top -1 a b
    assert_stderr "ae-recon-error: --top: -1 is out of range (0..1073741824)"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error --top ten a b
    assert_stderr "ae-recon-error: --top: 'ten' is not an integer"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error -b 0 a b
    assert_stderr "ae-recon-error: --batch-size: 0 is out of range (1..1048576)"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error -d tpu a b
    assert_stderr "ae-recon-error: --device: 'tpu' is not auto, cpu or cuda"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error a b -o
    assert_stderr "ae-recon-error: option '-o' needs a value"$'\n'"$USAGE"
    run -2 --separate-stderr ae-recon-error --tsv a b
    assert_stderr "ae-recon-error: unknown option '--tsv'"$'\n'"$USAGE"
}

@test "progress on stderr only when it is a terminal, and not with -q" {
    command -v script >/dev/null || skip "script(1) is needed to give ae-recon-error a terminal"
    run -0 script -qec "ae-recon-error '$F/d.h5' '$F/trained.ckpt' >/dev/null" /dev/null
    [[ "$output" == *"ae-recon-error: 100.0% 300/300 rows"* ]]
    run -0 script -qec "ae-recon-error -q '$F/d.h5' '$F/trained.ckpt' >/dev/null" /dev/null
    assert_output ""
    run -0 --separate-stderr ae-recon-error "$F/d.h5" "$F/trained.ckpt"
    assert_stderr ""
}
