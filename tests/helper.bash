# helper.bash: loaded by every tests/*.bats file.
#   - puts the freshly built tools first on PATH (AEKIT_BIN, set by `make bats`/`make asan`)
#   - loads bats-support and bats-assert (Debian's copies)
#   - defines assert_stderr / assert_stderr_line, which Debian's bats-assert lacks
#   - PYTHON: the Debian interpreter that has numpy, scipy, h5py, sklearn and torch
TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$TESTS_DIR/.." && pwd)"
AEKIT_BIN="${AEKIT_BIN:-$REPO_DIR/bin}"
PATH="$AEKIT_BIN:$PATH"
PYTHON="${PYTHON:-/usr/bin/python3}"
export PATH PYTHON REPO_DIR TESTS_DIR

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# assert_stderr [--partial|--regexp] EXPECTED: $stderr (from `run --separate-stderr`) equals,
# contains, or matches EXPECTED.
assert_stderr() {
    local mode=exact
    case "$1" in --partial) mode=partial; shift ;; --regexp) mode=regexp; shift ;; esac
    local ok=0
    case $mode in
        exact) [[ "$stderr" == "$1" ]] && ok=1 ;;
        partial) [[ "$stderr" == *"$1"* ]] && ok=1 ;;
        regexp) [[ "$stderr" =~ $1 ]] && ok=1 ;;
    esac
    if (( ! ok )); then
        batslib_print_kv_single_or_multi 8 expected "$1" actual "$stderr" \
            | batslib_decorate "stderr differs ($mode)" | fail
    fi
}

# assert_stderr_line [--partial] EXPECTED: some line of $stderr equals (or contains) EXPECTED.
assert_stderr_line() {
    local partial=0
    if [[ "$1" == --partial ]]; then partial=1; shift; fi
    local line
    while IFS= read -r line; do
        if (( partial )); then [[ "$line" == *"$1"* ]] && return 0
        else [[ "$line" == "$1" ]] && return 0; fi
    done <<< "$stderr"
    batslib_print_kv_single_or_multi 8 expected "$1" stderr "$stderr" \
        | batslib_decorate 'no such line in stderr' | fail
}

# refuse_stdout_empty: fail if a command printed nothing
assert_file_absent() {
    [[ ! -e "$1" ]] || { echo "file should not exist: $1" | fail; }
}
