#!/usr/bin/env bats
# The tools composed: examples/Makefile on the built-in sample, end to end, and picking up
# where an interrupted run stopped.
bats_require_minimum_version 1.5.0
load helper

setup() {
    cd "$BATS_TEST_TMPDIR"
    cp -r "$REPO_DIR/examples/sample" sample
    cp "$REPO_DIR/examples/Makefile" Makefile
    MK=(make --no-print-directory BIN="$AEKIT_BIN" SRC=sample OUT=out K=300 DIMS=300,64,2 EPOCHS=3 BATCH=64)
}

@test "the workflow runs end to end and its outputs agree with each other" {
    run -0 "${MK[@]}" all
    for f in out/rcv1.h5 out/rcv1_dataset.h5 out/run/checkpoints/last.ckpt out/codes.h5 \
             out/latent-stats.txt out/errors.txt out/stats.txt; do
        [ -s "$f" ]
    done
    run -0 "$PYTHON" - <<'PY'
import h5py, numpy as np
d = h5py.File("out/rcv1_dataset.h5", "r"); c = h5py.File("out/codes.h5", "r")
assert d.attrs["shape"].tolist() == [1200, 300], d.attrs["shape"]
assert c["latent_representations"].shape == (1200, 2)
assert np.array_equal(c["sample_id"][()], d["sample_id"][()])
assert c["reconstruction_errors"].shape == (1200,)
print("ok")
PY
    assert_output ok
    # the latent statistics ae-encode printed are h5-stats' own report of that dataset
    run -0 h5-stats out/codes.h5 latent_representations
    grep -qF -- "$(sed -n 1,4p out/latent-stats.txt)" <<< "$output"
}

@test "an up-to-date workflow does nothing; a removed output is remade alone" {
    run -0 "${MK[@]}" all
    run -0 "${MK[@]}" all
    assert_output --regexp "^make(\[[0-9]+\])?: Nothing to be done for 'all'.$"
    rm out/errors.txt
    run -0 "${MK[@]}" all
    assert_line --partial 'ae-recon-error'
    refute_line --partial 'ae-train'
    refute_line --partial 'svm2h5'
}

@test "an interrupted training run is resumed by the next make" {
    AEKIT_INTERRUPT_AFTER_STEP=20 run -2 "${MK[@]}" all
    [ -f out/run/checkpoints/last.ckpt ]
    [ ! -e out/run/done ]
    run -0 "${MK[@]}" all
    assert_line --partial -- '--resume out/run/checkpoints/last.ckpt'
    [ -f out/codes.h5 ]
    run -0 "$PYTHON" -c 'import h5py; print(h5py.File("out/run/checkpoints/last.ckpt","r").attrs["epoch"])'
    assert_output 2
}
