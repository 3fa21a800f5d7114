#!/usr/bin/env bats
# rcv1-fetch against tests/httpserver.py on 127.0.0.1 (fault injection per test) and file://
# mirrors. The files are small gzip streams made here, listed in a sha256sum file (--checksums).
bats_require_minimum_version 1.5.0
load helper

USAGE='usage: rcv1-fetch [--base-url URL | --jmlr] [--checksums FILE] [--only NAME,...] [--jobs N] [--retries N] [--timeout S] [--no-verify] [-q] OUTDIR'

setup() {
    cd "$BATS_TEST_TMPDIR"
    mkdir srv
    local n
    for n in a b c d; do
        head -c 30000 /dev/urandom | gzip -n > "srv/$n.dat.gz"
    done
    (cd srv && sha256sum ./*.gz | sed 's| \./| |') > sums
    export AEKIT_FETCH_BACKOFF=0.01   # first retry after ~10 ms, so the tests stay fast
    SERVER_PID=
}

teardown() {
    stop_server
}

# start_server [httpserver.py fault options]: serve srv/ on a free port; sets PORT and URL.
start_server() {
    rm -f port
    "$PYTHON" "$TESTS_DIR/httpserver.py" --root srv --port-file port --log server.log \
        --lifetime 60 "$@" > server.out 2>&1 3>&- &
    SERVER_PID=$!
    local i
    for ((i = 0; i < 200; i++)); do
        [[ -s port ]] && break
        sleep 0.05
    done
    [[ -s port ]] || fail "test server did not start: $(cat server.out)"
    PORT=$(< port)
    URL=http://127.0.0.1:$PORT
}

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2> /dev/null || true
        wait "$SERVER_PID" 2> /dev/null || true
        SERVER_PID=
    fi
}

# same_files DIR NAME...: each DIR/NAME is byte-identical to srv/NAME
same_files() {
    local d=$1 n
    shift
    for n in "$@"; do cmp "srv/$n" "$d/$n" || fail "$d/$n differs from srv/$n"; done
}

# max_active: the most requests the server was serving at once
max_active() {
    sed -n 's/.* active=\([0-9]*\)$/\1/p' server.log | sort -n | tail -1
}

size_of() { stat -c %s "$1"; }

all_paths=$'out/a.dat.gz\nout/b.dat.gz\nout/c.dat.gz\nout/d.dat.gz'

# ---------------------------------------------------------------- downloads

@test "fresh download: every file verified, paths on stdout, nothing on stderr" {
    start_server
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    assert_stderr ""
    same_files out a.dat.gz b.dat.gz c.dat.gz d.dat.gz
    [ "$(ls out | wc -l)" -eq 4 ]
    [ "$(grep -c ' range=- ua=aekit/[0-9.]* status=200 ' server.log)" -eq 4 ]
}

@test "second run: all up to date, no request, same stdout" {
    start_server
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    : > server.log
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    assert_stderr "rcv1-fetch: all 4 files are up to date in out"
    [ ! -s server.log ]
    run -0 --separate-stderr rcv1-fetch -q --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    assert_stderr ""
}

@test "a file present with the wrong digest is fetched again" {
    start_server
    mkdir out
    echo junk > out/a.dat.gz
    bad=$(sha256sum out/a.dat.gz | cut -c1-64)
    good=$(sha256sum srv/a.dat.gz | cut -c1-64)
    run -0 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz --base-url "$URL" out
    assert_output "out/a.dat.gz"
    assert_stderr "rcv1-fetch: a.dat.gz: present but its SHA-256 differs (expected $good, got $bad); fetching it again"
    same_files out a.dat.gz
}

@test "--only fetches the named files, in table order" {
    start_server
    run -0 --separate-stderr rcv1-fetch --checksums sums --only d.dat.gz,b.dat.gz \
        --base-url "$URL/" out
    assert_output $'out/b.dat.gz\nout/d.dat.gz'
    assert_stderr ""
    [ "$(ls out)" = $'b.dat.gz\nd.dat.gz' ]
}

@test "resume after a dropped connection: the retry asks for the rest with Range" {
    start_server --drop-after 1000 --files a.dat.gz
    size=$(size_of srv/a.dat.gz)
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    assert_stderr "rcv1-fetch: a.dat.gz: transfer closed with $((size - 1000)) bytes remaining to read; retry 1 of 5"
    same_files out a.dat.gz b.dat.gz c.dat.gz d.dat.gz
    grep -q '^GET /a.dat.gz range=bytes=1000- .* status=206 ' server.log
}

@test "a connection reset mid-transfer is retried" {
    start_server --drop-after 1000 --reset --files a.dat.gz
    run -0 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz --base-url "$URL" out
    assert_output "out/a.dat.gz"
    [[ $stderr == "rcv1-fetch: a.dat.gz: "*"; retry 1 of 5" ]] || fail "stderr: $stderr"
    [ "$(grep -c '^GET /a.dat.gz ' server.log)" -eq 2 ]
    same_files out a.dat.gz
}

@test "resume across runs: a .part left by a failed run is continued" {
    start_server --drop-after 1000 --files a.dat.gz
    size=$(size_of srv/a.dat.gz)
    run -1 --separate-stderr rcv1-fetch --retries 0 --checksums sums --only a.dat.gz \
        --base-url "$URL" out
    assert_output ""
    assert_stderr "rcv1-fetch: a.dat.gz: transfer closed with $((size - 1000)) bytes remaining to read; giving up after 1 attempt
rcv1-fetch: 1 of 1 file failed: a.dat.gz"
    assert_file_absent out/a.dat.gz
    [ "$(size_of out/a.dat.gz.part)" -eq 1000 ]
    : > server.log
    run -0 --separate-stderr rcv1-fetch --retries 0 --checksums sums --only a.dat.gz \
        --base-url "$URL" out
    assert_output "out/a.dat.gz"
    assert_stderr ""
    same_files out a.dat.gz
    assert_file_absent out/a.dat.gz.part
    grep -q '^GET /a.dat.gz range=bytes=1000- ua=aekit/[0-9.]* status=206 active=1$' server.log
    [ "$(wc -l < server.log)" -eq 1 ]
}

@test "a server that ignores Range: the file starts again from byte 0" {
    start_server --ignore-range
    mkdir out
    head -c 1000 /dev/urandom > out/a.dat.gz.part   # not a prefix of the file
    run -0 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz --base-url "$URL" out
    assert_output "out/a.dat.gz"
    assert_stderr ""
    same_files out a.dat.gz
    grep -q '^GET /a.dat.gz range=bytes=1000- .* status=200 ' server.log
}

@test "a .part longer than the file (HTTP 416): starts again" {
    start_server
    mkdir out
    head -c 40000 /dev/urandom > out/a.dat.gz.part
    run -0 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz --base-url "$URL" out
    assert_output "out/a.dat.gz"
    assert_stderr "rcv1-fetch: a.dat.gz: server refused to resume (HTTP 416); starting again; retry 1 of 5"
    same_files out a.dat.gz
    grep -q '^GET /a.dat.gz range=bytes=40000- .* status=416 ' server.log
    grep -q '^GET /a.dat.gz range=- .* status=200 ' server.log
}

@test "a whole .part (stopped before the rename) is verified without a request" {
    start_server
    mkdir out
    cp srv/a.dat.gz out/a.dat.gz.part
    run -0 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz --base-url "$URL" out
    assert_output "out/a.dat.gz"
    assert_stderr ""
    same_files out a.dat.gz
    [ ! -s server.log ]
}

@test "retry after 503" {
    start_server --fail-first 2 --files b.dat.gz
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    assert_stderr "rcv1-fetch: b.dat.gz: HTTP 503 Service Unavailable; retry 1 of 5
rcv1-fetch: b.dat.gz: HTTP 503 Service Unavailable; retry 2 of 5"
    same_files out a.dat.gz b.dat.gz c.dat.gz d.dat.gz
    [ "$(grep -c '^GET /b.dat.gz ' server.log)" -eq 3 ]
}

@test "429 is retried too; -q keeps the retry notes quiet" {
    start_server --fail-first 1 --fail-status 429
    run -0 --separate-stderr rcv1-fetch -q --checksums sums --only c.dat.gz --base-url "$URL" out
    assert_output "out/c.dat.gz"
    assert_stderr ""
    grep -q '^GET /c.dat.gz .* status=429 ' server.log
}

@test "503 on every try: gives up after --retries, no file left" {
    start_server --fail-first 100
    run -1 --separate-stderr rcv1-fetch --retries 2 --checksums sums --only a.dat.gz \
        --base-url "$URL" out
    assert_output ""
    assert_stderr "rcv1-fetch: a.dat.gz: HTTP 503 Service Unavailable; retry 1 of 2
rcv1-fetch: a.dat.gz: HTTP 503 Service Unavailable; retry 2 of 2
rcv1-fetch: a.dat.gz: HTTP 503 Service Unavailable; giving up after 3 attempts
rcv1-fetch: 1 of 1 file failed: a.dat.gz"
    [ -z "$(ls out)" ]
}

@test "a stalled transfer times out, is retried, and keeps its .part" {
    start_server --stall-after 100
    run -1 --separate-stderr rcv1-fetch --timeout 0.3 --retries 1 --checksums sums \
        --only a.dat.gz --base-url "$URL" out
    assert_output ""
    assert_stderr "rcv1-fetch: a.dat.gz: no data for 0.3 s; retry 1 of 1
rcv1-fetch: a.dat.gz: no data for 0.3 s; giving up after 2 attempts
rcv1-fetch: 1 of 1 file failed: a.dat.gz"
    assert_file_absent out/a.dat.gz
    [ "$(size_of out/a.dat.gz.part)" -eq 200 ]
    grep -q '^GET /a.dat.gz range=bytes=100- .* status=206 ' server.log
}

@test "checksum mismatch: expected and actual digests, status 1, no file left" {
    start_server --corrupt --files c.dat.gz
    # what the server sends, fetched without verification
    run -0 --separate-stderr rcv1-fetch --no-verify --checksums sums --only c.dat.gz \
        --base-url "$URL" wrong
    assert_output "wrong/c.dat.gz"
    ! cmp -s wrong/c.dat.gz srv/c.dat.gz
    actual=$(sha256sum wrong/c.dat.gz | cut -c1-64)
    expected=$(sha256sum srv/c.dat.gz | cut -c1-64)
    run -1 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output $'out/a.dat.gz\nout/b.dat.gz\nout/d.dat.gz'
    assert_stderr "rcv1-fetch: c.dat.gz: SHA-256 mismatch (removed): expected $expected, got $actual
rcv1-fetch: 1 of 4 files failed: c.dat.gz"
    assert_file_absent out/c.dat.gz
    assert_file_absent out/c.dat.gz.part
}

@test "an HTML page instead of gzip data is recognised" {
    start_server --html --files d.dat.gz
    run -1 --separate-stderr rcv1-fetch --checksums sums --only d.dat.gz --base-url "$URL" out
    assert_output ""
    assert_stderr "rcv1-fetch: d.dat.gz: $URL/d.dat.gz sent an HTML page, not gzip data (removed)
rcv1-fetch: 1 of 1 file failed: d.dat.gz"
    [ -z "$(ls out)" ]
    # even with --no-verify
    run -1 --separate-stderr rcv1-fetch --no-verify --checksums sums --only d.dat.gz \
        --base-url "$URL" out
    assert_stderr_line "rcv1-fetch: d.dat.gz: $URL/d.dat.gz sent an HTML page, not gzip data (removed)"
}

@test "404 fails at once, naming URL and status; the other files still arrive" {
    start_server --status 404 --files b.dat.gz
    run -1 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output $'out/a.dat.gz\nout/c.dat.gz\nout/d.dat.gz'
    assert_stderr "rcv1-fetch: b.dat.gz: $URL/b.dat.gz: HTTP 404 Not Found
rcv1-fetch: 1 of 4 files failed: b.dat.gz"
    [ "$(grep -c '^GET /b.dat.gz ' server.log)" -eq 1 ]
    assert_file_absent out/b.dat.gz
    assert_file_absent out/b.dat.gz.part
}

@test "403 fails at once" {
    start_server --status 403
    run -1 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz --base-url "$URL" out
    assert_stderr "rcv1-fetch: a.dat.gz: $URL/a.dat.gz: HTTP 403 Forbidden
rcv1-fetch: 1 of 1 file failed: a.dat.gz"
    [ "$(wc -l < server.log)" -eq 1 ]
}

@test "a file missing from the mirror: exit 1 naming it, the others verified" {
    start_server
    cp sums sums2
    head -c 100 /dev/urandom | gzip -n > e.dat.gz
    sha256sum e.dat.gz >> sums2
    run -1 --separate-stderr rcv1-fetch --checksums sums2 --base-url "$URL" out
    assert_output "$all_paths"
    assert_stderr "rcv1-fetch: e.dat.gz: $URL/e.dat.gz: HTTP 404 Not Found
rcv1-fetch: 1 of 5 files failed: e.dat.gz"
}

@test "parallel jobs: --jobs 3 runs three transfers at once, --jobs 1 one" {
    start_server --slow 0.2 --chunk 8192
    run -0 --separate-stderr rcv1-fetch --jobs 3 --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    same_files out a.dat.gz b.dat.gz c.dat.gz d.dat.gz
    [ "$(max_active)" -eq 3 ]
    : > server.log
    run -0 --separate-stderr rcv1-fetch -j 1 --checksums sums --only a.dat.gz,b.dat.gz \
        --base-url "$URL" out1
    assert_output $'out1/a.dat.gz\nout1/b.dat.gz'
    [ "$(max_active)" -eq 1 ]
}

@test "progress bars only when stderr is a terminal, and not with -q" {
    command -v script > /dev/null || skip "script(1) from util-linux is not installed"
    start_server --slow 0.05 --chunk 2000
    run -0 script -qec "rcv1-fetch --checksums sums --only a.dat.gz --base-url $URL out" /dev/null
    assert_output --partial "a.dat.gz   "
    assert_output --partial "total   "
    assert_output --partial "out/a.dat.gz"
    run -0 script -qec "rcv1-fetch -q --checksums sums --only b.dat.gz --base-url $URL out" /dev/null
    assert_output $'out/b.dat.gz\r'
}

@test "file:// mirror" {
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "file://$PWD/srv" out
    assert_output "$all_paths"
    assert_stderr ""
    same_files out a.dat.gz b.dat.gz c.dat.gz d.dat.gz
}

@test "file:// mirror without the file" {
    run -1 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz \
        --base-url "file://$PWD/nowhere" out
    assert_stderr "rcv1-fetch: a.dat.gz: file://$PWD/nowhere/a.dat.gz: Couldn't open file $PWD/nowhere/a.dat.gz
rcv1-fetch: 1 of 1 file failed: a.dat.gz"
    [ -z "$(ls out)" ]
}

@test "built-in table: its digest is what a file is checked against" {
    mkdir mirror
    cp srv/a.dat.gz mirror/rcv1v2.topics.qrels.gz
    actual=$(sha256sum srv/a.dat.gz | cut -c1-64)
    run -1 --separate-stderr rcv1-fetch --only rcv1v2.topics.qrels.gz --base-url "file://$PWD/mirror" out
    assert_output ""
    assert_stderr "rcv1-fetch: rcv1v2.topics.qrels.gz: SHA-256 mismatch (removed): expected 2a98e5e5d8b770bded93afc8930d88299474317fe14181aee1466cc754d0d1c1, got $actual
rcv1-fetch: 1 of 1 file failed: rcv1v2.topics.qrels.gz"
    run -0 --separate-stderr rcv1-fetch --no-verify --only rcv1v2.topics.qrels.gz \
        --base-url "file://$PWD/mirror" out
    assert_output "out/rcv1v2.topics.qrels.gz"
}

# interrupt_fetch SIGNAL: start a slow download in the background, send SIGNAL once a .part
# has bytes, wait (bounded) for it to exit; sets status.
interrupt_fetch() {
    rcv1-fetch --checksums sums --base-url "$URL" out > fetch.out 2> fetch.err 3>&- &
    local pid=$! i
    for ((i = 0; i < 200; i++)); do
        [[ -s out/a.dat.gz.part ]] && break
        sleep 0.05
    done
    kill "-$1" "$pid"
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2> /dev/null; then
        kill -KILL "$pid"
        fail "rcv1-fetch did not stop on SIG$1"
    fi
    status=0
    wait "$pid" || status=$?
}

@test "Ctrl-C leaves only .part files, exit 130; the next run resumes them" {
    start_server --slow 0.1 --chunk 1000
    interrupt_fetch INT
    [ "$status" -eq 130 ]
    [ ! -s fetch.out ]
    [ "$(cat fetch.err)" = "rcv1-fetch: interrupted; partial downloads kept as .part files in out" ]
    [ -s out/a.dat.gz.part ]
    for f in out/*; do [[ $f == *.part ]] || fail "unexpected file after SIGINT: $f"; done
    stop_server
    start_server
    run -0 --separate-stderr rcv1-fetch --checksums sums --base-url "$URL" out
    assert_output "$all_paths"
    same_files out a.dat.gz b.dat.gz c.dat.gz d.dat.gz
    grep -q '^GET /a.dat.gz range=bytes=[1-9][0-9]*- .* status=206 ' server.log
    [ -z "$(ls out/*.part 2> /dev/null)" ]
}

@test "SIGTERM: the same, exit 143" {
    start_server --slow 0.1 --chunk 1000
    interrupt_fetch TERM
    [ "$status" -eq 143 ]
    [ "$(cat fetch.err)" = "rcv1-fetch: interrupted; partial downloads kept as .part files in out" ]
    for f in out/*; do [[ $f == *.part ]] || fail "unexpected file after SIGTERM: $f"; done
}

# ---------------------------------------------------------------- usage and setup errors

@test "--help: usage on stdout, exit 0" {
    run -0 --separate-stderr rcv1-fetch --help
    assert_line --index 0 "$USAGE"
    assert_stderr ""
}

@test "usage errors: exact message, status 2" {
    run -2 --separate-stderr rcv1-fetch
    assert_stderr "rcv1-fetch: missing OUTDIR
$USAGE"
    run -2 --separate-stderr rcv1-fetch out extra
    assert_stderr "rcv1-fetch: unexpected argument 'extra'
$USAGE"
    run -2 --separate-stderr rcv1-fetch ''
    assert_stderr "rcv1-fetch: OUTDIR is empty
$USAGE"
    run -2 --separate-stderr rcv1-fetch --jmlr --base-url http://x out
    assert_stderr "rcv1-fetch: --base-url and --jmlr cannot be used together
$USAGE"
    run -2 --separate-stderr rcv1-fetch --base-url '' out
    assert_stderr "rcv1-fetch: --base-url: empty URL
$USAGE"
    run -2 --separate-stderr rcv1-fetch --jobs 0 out
    assert_stderr "rcv1-fetch: --jobs: 0 is out of range (1..64)
$USAGE"
    run -2 --separate-stderr rcv1-fetch -j many out
    assert_stderr "rcv1-fetch: --jobs: 'many' is not an integer
$USAGE"
    run -2 --separate-stderr rcv1-fetch --retries -1 out
    assert_stderr "rcv1-fetch: --retries: -1 is out of range (0..100)
$USAGE"
    run -2 --separate-stderr rcv1-fetch --timeout 0 out
    assert_stderr "rcv1-fetch: --timeout: 0 is out of range (0.1..86400)
$USAGE"
    run -2 --separate-stderr rcv1-fetch --timeout soon out
    assert_stderr "rcv1-fetch: --timeout: 'soon' is not a number
$USAGE"
    run -2 --separate-stderr rcv1-fetch --only nosuch.gz out
    assert_stderr "rcv1-fetch: --only: no file named 'nosuch.gz'
$USAGE"
    run -2 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz,rcv1v2.topics.qrels.gz out
    assert_stderr "rcv1-fetch: --only: no file named 'rcv1v2.topics.qrels.gz'
$USAGE"
    run -2 --separate-stderr rcv1-fetch --checksums sums --only a.dat.gz, out
    assert_stderr "rcv1-fetch: --only: empty file name
$USAGE"
    run -2 --separate-stderr rcv1-fetch --frobnicate out
    assert_stderr "rcv1-fetch: unknown option '--frobnicate'
$USAGE"
    run -2 --separate-stderr rcv1-fetch -x out
    assert_stderr "rcv1-fetch: unknown option '-x'
$USAGE"
    run -2 --separate-stderr rcv1-fetch out --jobs
    assert_stderr "rcv1-fetch: option '--jobs' needs a value
$USAGE"
    [ ! -e out ]
}

@test "checksums file errors: exact message, status 1" {
    run -1 --separate-stderr rcv1-fetch --checksums nosuch out
    assert_stderr "rcv1-fetch: cannot open nosuch: No such file or directory"
    printf '# comment\n\nnot a checksum line\n' > bad1
    run -1 --separate-stderr rcv1-fetch --checksums bad1 out
    assert_stderr "rcv1-fetch: bad1:3: not a sha256sum line (HEX  NAME)"
    h=$(sha256sum srv/a.dat.gz | cut -c1-64)
    printf '%s  ../a.dat.gz\n' "$h" > bad2
    run -1 --separate-stderr rcv1-fetch --checksums bad2 out
    assert_stderr "rcv1-fetch: bad2:1: bad file name '../a.dat.gz' (letters, digits, '._-+' only)"
    printf '%s  a.dat.gz\n%s *a.dat.gz\n' "$h" "$h" > bad3
    run -1 --separate-stderr rcv1-fetch --checksums bad3 out
    assert_stderr "rcv1-fetch: bad3:2: a.dat.gz is listed twice"
    printf '# nothing\n' > bad4
    run -1 --separate-stderr rcv1-fetch --checksums bad4 out
    assert_stderr "rcv1-fetch: bad4: no files listed"
    run -1 --separate-stderr rcv1-fetch --checksums sums out
    assert_stderr "rcv1-fetch: a.dat.gz: not one of the RCV1 files, so it has no default URL; give --base-url"
    run -1 --separate-stderr rcv1-fetch --jmlr --checksums sums out
    assert_stderr "rcv1-fetch: a.dat.gz: not one of the RCV1 files, so it has no JMLR URL; give --base-url"
    [ ! -e out ]
}

@test "checksums: binary-mode lines and upper-case hex are accepted" {
    (cd srv && sha256sum -b a.dat.gz | awk '{ print toupper($1) " " $2 }') > sumsb
    grep -q '^[0-9A-F]\{64\} \*a.dat.gz$' sumsb
    run -0 --separate-stderr rcv1-fetch --checksums sumsb --base-url "file://$PWD/srv" out
    assert_output "out/a.dat.gz"
}

@test "setup errors: OUTDIR not a directory, OUTDIR busy, bad AEKIT_FETCH_BACKOFF" {
    echo x > afile
    run -1 --separate-stderr rcv1-fetch --checksums sums --base-url "file://$PWD/srv" afile
    assert_stderr "rcv1-fetch: cannot create afile: Not a directory"
    mkdir out
    run -1 --separate-stderr flock out rcv1-fetch --checksums sums --base-url "file://$PWD/srv" out
    assert_stderr "rcv1-fetch: out: another rcv1-fetch is downloading into it"
    [ -z "$(ls out)" ]
    AEKIT_FETCH_BACKOFF=later run -1 --separate-stderr rcv1-fetch --checksums sums out
    assert_stderr "rcv1-fetch: AEKIT_FETCH_BACKOFF: 'later' is not a number of seconds (0..3600)"
}
