#!/usr/bin/env bats
# ae-encode: latent codes checked against PyTorch, the output file's layout, --tsv against the
# HDF5 output, the statistics against numpy and h5-stats, every error path.
bats_require_minimum_version 1.5.0
load helper

USAGE='usage: ae-encode [-b N] [-d auto|cpu|cuda] [-r] [--tsv] [-q] DATASET CHECKPOINT OUT.h5'

# synthetic corpora: tests/ref/make_h5.py csr (row 3 empty, real RCV1 topic codes)
mk() { "$PYTHON" "$TESTS_DIR/ref/make_h5.py" "$@"; }

# Fixtures shared by every test of this file (built once): a generated corpus of 300 x 60
# (row 3 empty), the same rows in the Python tool's layout (no sample ids), a narrower corpus,
# an untrained checkpoint and one trained by PyTorch's AdamW.
setup_file() {
    cd "$BATS_FILE_TMPDIR"
    mk csr d.h5 --rows 300 --cols 60 --seed 3 --aekit
    mk csr d0.h5 --rows 300 --cols 60 --seed 3
    mk csr d50.h5 --rows 40 --cols 50 --seed 4 --aekit
    ae-init 60,16,4 -o init.ckpt --seed 7
    "$PYTHON" "$TESTS_DIR/ref/torch_train_ckpt.py" init.ckpt d.h5 trained.ckpt --steps 300 >/dev/null
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    F="$BATS_FILE_TMPDIR"
}

@test "--help prints the usage on stdout" {
    run -0 --separate-stderr ae-encode --help
    [[ "${lines[0]}" == "$USAGE" ]]
    [[ "$output" == *"--with-reconstruction"* ]]
    assert_stderr ""
}

@test "trained checkpoint: codes and errors equal PyTorch's" {
    run -0 --separate-stderr ae-encode -d cpu -r -b 64 "$F/d.h5" "$F/trained.ckpt" out.h5
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$F/trained.ckpt" out.h5
    assert_output --partial "latent max rel"
    assert_output --partial "errors max rel"
    assert_output --partial ": OK"
}

@test "an ae-train checkpoint: equal to PyTorch, its epoch and val_loss recorded" {
    ae-train "$F/d.h5" run 60,16,4 -e 5 -b 32 -q --device cpu --seed 5
    local best
    best=$(ls run/checkpoints/autoencoder-epoch=*.ckpt | sort -t= -k3 | head -1)
    run -0 --separate-stderr ae-encode -d cpu -r "$F/d.h5" "$best" out.h5
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$best" out.h5
    run -0 "$PYTHON" - "$best" <<'EOF'
import sys, h5py
c, o = h5py.File(sys.argv[1]).attrs, h5py.File("out.h5").attrs
assert o["checkpoint"] == sys.argv[1]
for k in ("epoch", "global_step", "val_loss", "activation", "latent_activation"):
    assert o[k] == c[k], (k, o[k], c[k])
assert list(o["dims"]) == list(c["dims"])
EOF
}

@test "untrained ae-init checkpoint is accepted and equals PyTorch" {
    run -0 --separate-stderr ae-encode -d cpu "$F/d.h5" "$F/init.ckpt" out.h5
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$F/init.ckpt" out.h5
}

@test "every activation and latent activation equals PyTorch" {
    # each activation with a different latent activation: every one of both kinds is used
    local pair a l
    for pair in leaky_relu:linear tanh:relu sigmoid:tanh relu:sigmoid; do
        a=${pair%:*} l=${pair#*:}
        ae-init 60,24,8,3 -a "$a" --latent-activation "$l" -o "i-$a-$l.ckpt" --seed 11
        "$PYTHON" "$TESTS_DIR/ref/torch_train_ckpt.py" "i-$a-$l.ckpt" "$F/d.h5" \
            "t-$a-$l.ckpt" --steps 50 >/dev/null
        run -0 --separate-stderr ae-encode -d cpu -q -r -b 100 "$F/d.h5" "t-$a-$l.ckpt" "o-$a-$l.h5"
        run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "t-$a-$l.ckpt" "o-$a-$l.h5"
        assert_output --partial "$a/$l"
    done
}

@test "the batch size changes nothing beyond float rounding" {
    ae-encode -q -b 1 "$F/d.h5" "$F/trained.ckpt" b1.h5 >/dev/null
    ae-encode -q -b 1000 "$F/d.h5" "$F/trained.ckpt" b1000.h5 >/dev/null
    run -0 "$PYTHON" -c '
import h5py, numpy as np, sys
a = h5py.File("b1.h5")["latent_representations"][()]
b = h5py.File("b1000.h5")["latent_representations"][()]
sys.exit(0 if np.allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(a).max()) else 1)'
}

@test "OUT.h5 layout, attributes and copies of targets, names and sample ids" {
    run -0 --separate-stderr ae-encode "$F/d.h5" "$F/trained.ckpt" out.h5
    run -0 "$PYTHON" - "$F/d.h5" out.h5 <<'EOF'
import sys, h5py, numpy as np
d, o = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
a = o.attrs
assert a["format"] == "aekit-encoding" and a["format_version"] == 1, dict(a)
assert a["dataset"] == sys.argv[1] and a["checkpoint"].endswith("trained.ckpt")
assert list(a["dims"]) == [60, 16, 4] and a["latent_dim"] == 4 and a["num_samples"] == 300
assert a["activation"] == "relu" and a["latent_activation"] == "linear"
assert a["epoch"] == 0 and a["global_step"] == 300 and np.isfinite(a["val_loss"])
assert a["created_by"].startswith("ae-encode ") and a["created_at"].endswith("Z")
assert a["toolkit_version"]
assert "reconstruction_errors" not in o
z = o["latent_representations"]
assert z.shape == (300, 4) and z.dtype == np.float32
assert np.array_equal(o["sample_id"][()], d["sample_id"][()])
assert o["sample_id"].dtype == np.uint32
assert list(o["target_names"][()]) == list(d["target_names"][()])
assert all(np.array_equal(x, y) for x, y in zip(o["targets"][()], d["targets"][()]))
EOF
    assert_file_absent out.h5.tmp.*
}

@test "a dataset in the Python tool's layout: sample ids are the row numbers" {
    run -0 --separate-stderr ae-encode -d cpu "$F/d0.h5" "$F/trained.ckpt" out.h5
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d0.h5" "$F/trained.ckpt" out.h5
    run -0 "$PYTHON" -c '
import h5py, numpy as np, sys
sys.exit(0 if np.array_equal(h5py.File("out.h5")["sample_id"][()], np.arange(300)) else 1)'
}

@test "--tsv lines equal the HDF5 output exactly" {
    ae-encode -q "$F/d.h5" "$F/trained.ckpt" out.h5 >/dev/null
    run -0 --separate-stderr ae-encode --tsv "$F/d.h5" "$F/trained.ckpt" -
    assert_stderr ""
    printf '%s\n' "$output" > out.tsv
    [ "${#lines[@]}" -eq 300 ]
    run -0 "$PYTHON" - <<'EOF'
import h5py, numpy as np
o = h5py.File("out.h5")
rows = [l.split("\t") for l in open("out.tsv").read().splitlines()]
assert all(len(r) == 5 for r in rows)
sid = np.array([int(r[0]) for r in rows], dtype=np.uint32)
z = np.array([[np.float32(v) for v in r[1:]] for r in rows], dtype=np.float32)
assert np.array_equal(sid, o["sample_id"][()])
assert np.array_equal(z, o["latent_representations"][()]), abs(z - o["latent_representations"][()]).max()
EOF
}

@test "the latent statistics equal numpy's and h5-stats' report" {
    run -0 --separate-stderr ae-encode "$F/d.h5" "$F/trained.ckpt" out.h5
    printf '%s\n' "$output" > stats.txt
    [[ "${lines[0]}" == "/latent_representations: dense 300 x 4, sparsity = fraction with |x| <= 1e-06" ]]
    run -0 "$PYTHON" - <<'EOF'
import h5py, numpy as np
z = h5py.File("out.h5")["latent_representations"][()].astype(np.float64)
rows = {l.split()[0]: [float(v) for v in l.split()[1:]]
        for l in open("stats.txt").read().splitlines()[2:]}
def check(got, col):
    want = [col.mean(), col.std(), col.min(), col.max(), np.mean(np.abs(col) <= 1e-6)]
    assert np.allclose(got, want, rtol=2e-5, atol=1e-6 * np.abs(z).max()), (got, want)
for j in range(z.shape[1]):
    check(rows[str(j)], z[:, j])
check(rows["all"], z.ravel())
EOF
    run -0 h5-stats out.h5 latent_representations
    # the block of h5-stats about /latent_representations is the one ae-encode printed
    [[ "$output" == *"$(cat stats.txt)"* ]]
}

@test "memory is bounded by the batch, not the corpus" {
    # 1,000 and 10,000 rows of 2,000 features: dense, the larger would take 80 MB more
    mk csr small.h5 --rows 1000 --cols 2000 --seed 5 --max-nnz 20 --aekit
    mk csr big.h5 --rows 10000 --cols 2000 --seed 5 --max-nnz 20 --aekit
    ae-init 2000,64,8 -o w.ckpt
    # sanitizer builds keep freed memory in quarantine, which would be counted as growth
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
    /usr/bin/time -f %M -o small.kb ae-encode -q -r -b 64 small.h5 w.ckpt small.out.h5 >/dev/null
    /usr/bin/time -f %M -o big.kb ae-encode -q -r -b 64 big.h5 w.ckpt big.out.h5 >/dev/null
    echo "max RSS: $(cat small.kb) KB for 1,000 rows, $(cat big.kb) KB for 10,000"
    (( $(cat big.kb) - $(cat small.kb) < 16384 ))
}

@test "an existing OUT.h5 is replaced whole" {
    echo "not hdf5" > out.h5
    run -0 --separate-stderr ae-encode -d cpu -r "$F/d.h5" "$F/trained.ckpt" out.h5
    run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" "$F/d.h5" "$F/trained.ckpt" out.h5
}

@test "-d cuda: a clear error without a usable GPU, PyTorch's numbers with one" {
    run --separate-stderr ae-encode -r -d cuda "$F/d.h5" "$F/trained.ckpt" out.h5
    if (( status == 0 )); then
        run -0 "$PYTHON" "$TESTS_DIR/ref/torch_encode.py" --rtol 1e-4 "$F/d.h5" "$F/trained.ckpt" out.h5
    else
        [ "$status" -eq 1 ]
        [[ "$stderr" == "ae-encode: --device cuda: "* ]]
        [[ "$stderr" != *$'\n'* ]]
        assert_file_absent out.h5
    fi
}

@test "width mismatch names both numbers" {
    run -1 --separate-stderr ae-encode "$F/d50.h5" "$F/trained.ckpt" out.h5
    assert_stderr "ae-encode: $F/d50.h5 has 50 features but $F/trained.ckpt expects 60 (d0 of dims 60,16,4)"
    assert_file_absent out.h5
}

@test "wrong file kinds" {
    run -1 --separate-stderr ae-encode "$F/d.h5" "$F/d.h5" out.h5
    assert_stderr "ae-encode: $F/d.h5: not an aekit checkpoint (format attribute is not 'aekit-checkpoint'); make one with ae-init or ae-train"
    run -1 --separate-stderr ae-encode "$F/trained.ckpt" "$F/trained.ckpt" out.h5
    assert_stderr "ae-encode: $F/trained.ckpt: not an aekit dataset (no CSR matrix /data, /indices, /indptr)"
    ae-encode -q "$F/d.h5" "$F/init.ckpt" enc.h5 >/dev/null
    run -1 --separate-stderr ae-encode enc.h5 "$F/trained.ckpt" out.h5
    assert_stderr "ae-encode: enc.h5: not an aekit dataset (no CSR matrix /data, /indices, /indptr)"
    run -1 --separate-stderr ae-encode "$F/d.h5" enc.h5 out.h5
    assert_stderr "ae-encode: enc.h5: not an aekit checkpoint (format attribute is not 'aekit-checkpoint'); make one with ae-init or ae-train"
    assert_file_absent out.h5
}

@test "unreadable checkpoints" {
    run -1 --separate-stderr ae-encode "$F/d.h5" missing.ckpt out.h5
    assert_stderr "ae-encode: missing.ckpt: No such file or directory"
    echo "garbage" > junk.ckpt
    run -1 --separate-stderr ae-encode "$F/d.h5" junk.ckpt out.h5
    assert_stderr "ae-encode: junk.ckpt: not an HDF5 file (aekit checkpoints are made by ae-init and ae-train)"
    head -c 3000 "$F/trained.ckpt" > cut.ckpt
    run -1 --separate-stderr ae-encode "$F/d.h5" cut.ckpt out.h5
    assert_stderr "ae-encode: cut.ckpt: cannot open HDF5 file"
    assert_file_absent out.h5
}

@test "OUT.h5 may not be the dataset or the checkpoint" {
    cp "$F/d.h5" d.h5
    cp "$F/trained.ckpt" t.ckpt
    sha256sum d.h5 t.ckpt > before.sum
    run -1 --separate-stderr ae-encode d.h5 t.ckpt ./d.h5
    assert_stderr "ae-encode: ./d.h5: is the dataset; refusing to overwrite it with the encoding"
    run -1 --separate-stderr ae-encode d.h5 t.ckpt t.ckpt
    assert_stderr "ae-encode: t.ckpt: is the checkpoint; refusing to overwrite it with the encoding"
    run -0 sha256sum -c --quiet before.sum
}

@test "unwritable output" {
    run -1 --separate-stderr ae-encode "$F/d.h5" "$F/trained.ckpt" nodir/out.h5
    assert_stderr "ae-encode: nodir/out.h5: cannot create: No such file or directory"
}

@test "a failure halfway leaves no OUT.h5 and no temporary file" {
    mkdir out
    cp "$F/d.h5" bad.h5
    # a column index out of range in row 250: found only when that batch is read
    "$PYTHON" -c '
import h5py
f = h5py.File("bad.h5", "r+")
p = f["indptr"][250]
f["indices"][p] = 60'
    run -1 --separate-stderr ae-encode -b 50 bad.h5 "$F/trained.ckpt" out/out.h5
    assert_stderr "ae-encode: bad.h5: row 250: column index 60 out of range or not increasing"
    run -0 ls -A out
    assert_output ""
}

@test "usage errors" {
    run -2 --separate-stderr ae-encode
    assert_stderr "ae-encode: expected DATASET CHECKPOINT OUT.h5"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode a b c d
    assert_stderr "ae-encode: expected DATASET CHECKPOINT OUT.h5"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode -b 0 a b c
    assert_stderr "ae-encode: --batch-size: 0 is out of range (1..1048576)"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode --batch-size=x a b c
    assert_stderr "ae-encode: --batch-size: 'x' is not an integer"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode -d gpu a b c
    assert_stderr "ae-encode: --device: 'gpu' is not auto, cpu or cuda"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode --tsv a b c.h5
    assert_stderr "ae-encode: --tsv writes to standard output: give OUT.h5 as -"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode a b -
    assert_stderr "ae-encode: OUT.h5 is -: HDF5 cannot go to standard output (use --tsv for text)"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode --tsv -r a b -
    assert_stderr "ae-encode: --tsv and -r cannot be combined (ae-recon-error prints errors)"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode --bogus a b c
    assert_stderr "ae-encode: unknown option '--bogus'"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode -x a b c
    assert_stderr "ae-encode: unknown option '-x'"$'\n'"$USAGE"
    run -2 --separate-stderr ae-encode a b c -b
    assert_stderr "ae-encode: option '-b' needs a value"$'\n'"$USAGE"
}

@test "progress on stderr only when it is a terminal, and not with -q" {
    command -v script >/dev/null || skip "script(1) is needed to give ae-encode a terminal"
    run -0 script -qec "ae-encode '$F/d.h5' '$F/trained.ckpt' tty.h5 >/dev/null" /dev/null
    [[ "$output" == *"ae-encode: 100.0% 300/300 rows"* ]]
    run -0 script -qec "ae-encode -q '$F/d.h5' '$F/trained.ckpt' tty.h5 >/dev/null" /dev/null
    assert_output ""
    run -0 --separate-stderr ae-encode "$F/d.h5" "$F/trained.ckpt" plain.h5
    assert_stderr ""
}
