#!/usr/bin/env bats
# The build: detection lines, the CUDA switch, install layout.
bats_require_minimum_version 1.5.0
load helper

@test "make prints what it detected" {
    run -0 make -C "$REPO_DIR" --no-print-directory detect
    assert_line --regexp '^HDF5: [0-9]+\.[0-9]+'
    assert_line --regexp '^OpenBLAS: [0-9]+\.[0-9]+'
    assert_line --regexp '^libcurl: [0-9]+\.[0-9]+'
    assert_line --regexp '^CUDA: (yes \(nvcc [0-9.]+\)|no)$'
}

@test "CUDA=0 reports no CUDA; CUDA=1 without nvcc is an error; a bad CUDA value is an error" {
    run -0 make -C "$REPO_DIR" --no-print-directory CUDA=0 detect
    assert_line 'CUDA: no'
    run -2 --separate-stderr make -C "$REPO_DIR" --no-print-directory CUDA=1 NVCC= detect
    assert_stderr --partial 'CUDA=1 but nvcc was not found (set NVCC=/path/to/nvcc)'
    run -2 --separate-stderr make -C "$REPO_DIR" --no-print-directory CUDA=maybe detect
    assert_stderr --partial "CUDA must be auto, 0 or 1 (got 'maybe')"
}

@test "make install honours PREFIX and DESTDIR" {
    run -0 make -C "$REPO_DIR" --no-print-directory install PREFIX=/opt/ak DESTDIR="$BATS_TEST_TMPDIR/root"
    for t in "$REPO_DIR"/tools/*.c; do
        n=$(basename "$t" .c)
        [ -x "$BATS_TEST_TMPDIR/root/opt/ak/bin/$n" ]
        [ -f "$BATS_TEST_TMPDIR/root/opt/ak/share/man/man1/$n.1" ]
    done
    [ -f "$BATS_TEST_TMPDIR/root/opt/ak/share/man/man5/aekit-dataset.5" ]
    [ -f "$BATS_TEST_TMPDIR/root/opt/ak/share/man/man7/aekit.7" ]
}

@test "every tool answers --help on stdout with exit 0 and has a man page" {
    for t in "$REPO_DIR"/tools/*.c; do
        n=$(basename "$t" .c)
        run -0 --separate-stderr "$n" --help
        assert_output --partial "usage: $n"
        [ -f "$REPO_DIR/man/man1/$n.1" ]
    done
}
