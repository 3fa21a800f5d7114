#!/usr/bin/env bats
# mlflow.bats: the MLflow client (common/mlflow.c) checked with MLflow itself: a file store read
# by MlflowClient and served by `mlflow server`, a real tracking server with a SQLite backend,
# a server that dies mid-run, retries and auth against a failing stand-in server.
# The client is driven by build/tests/test_mlflow (a script on stdin); ae-train's own tracking
# is in tests/ae-train-mlflow.bats.
bats_require_minimum_version 1.5.0
load helper
load mlflow_helper

setup_file() {
    mlflow_setup_file
    export SHARED_SERVER_DIR="$BATS_FILE_TMPDIR/shared-server"
    if [[ -n "$MLFLOW_PYTHON" ]]; then
        start_mlflow_server "$SHARED_SERVER_DIR" "sqlite:///$SHARED_SERVER_DIR/mlflow.db"
        export SHARED_SERVER_URL="$SERVER_URL"
    fi
}

teardown_file() {
    stop_mlflow_server "$SHARED_SERVER_DIR"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    need_driver
}

teardown() {
    stop_mlflow_server "$BATS_TEST_TMPDIR/server"
    if [[ -n "${FAKE_PID:-}" ]]; then kill "$FAKE_PID" 2>/dev/null || true; fi
}

# make_run URI EXPERIMENT RUN_NAME: script.txt for the driver and expect.json for mlflow_check:
# 151 params (more than one log-batch holds), tags, metric histories with NaN, infinities and
# full-precision values over 2500 steps (more than one batch), two artifacts.
make_run() {
    "$PYTHON" - "$@" <<'EOF'
import json, os, random, sys
uri, exp, name = sys.argv[1:4]
rnd = random.Random(7)
open("a.bin", "wb").write(bytes(rnd.randrange(256) for _ in range(70000)))
open("notes.txt", "w").write("tracked by aekit\n")
lines = ["open\t%s\t%s\t%s" % (uri, exp, name)]
params = {"lr": "0.0003", "dims": "2000,500,125,2", "l1_alpha": "None", "note": "yes"}
params.update({"p%03d" % i: str(i * 7) for i in range(147)})
tags = {"mlflow.source.type": "LOCAL", "aekit.outdir": "/tmp/out dir", "true": "false"}
for k, v in params.items():
    lines.append("param\t%s\t%s" % (k, v))
for k, v in tags.items():
    lines.append("tag\t%s\t%s" % (k, v))
metrics = {"loss": [], "train_loss_step": []}
for step, v in enumerate([0.5, float("nan"), 1e-7, float("inf"), -float("inf"), 1.0 / 3.0, 2.0]):
    metrics["loss"].append([step * 10, v])
for step in range(2500):
    metrics["train_loss_step"].append([step, rnd.random() * 10 ** rnd.randint(-8, 8)])
for k, hist in metrics.items():
    for step, v in hist:
        lines.append("metric\t%s\t%r\t%d" % (k, v, step))
lines += ["artifact\ta.bin", "artifact\tnotes.txt\tsub/dir", "close\tFINISHED"]
open("script.txt", "w").write("\n".join(lines) + "\n")
# MLflow's SQL backend stores +-inf as +-DBL_MAX (the file store keeps them)
sql = uri.startswith("http")
def want(v):
    if sql and v in (float("inf"), -float("inf")):
        v = 1.7976931348623157e308 if v > 0 else -1.7976931348623157e308
    return repr(v)
enc = {k: [[s, want(v)] for s, v in h] for k, h in metrics.items()}
json.dump({"experiment": exp, "run_name": name, "status": "FINISHED", "params": params,
           "tags": dict(tags, **{"mlflow.runName": name}), "metrics": enc, "metrics_exact": True,
           "artifacts": {"a.bin": os.path.abspath("a.bin"),
                         "sub/dir/notes.txt": os.path.abspath("notes.txt")}},
          open("expect.json", "w"))
EOF
}

@test "file store: MlflowClient and search_runs read params, tags, status, metric histories, artifacts" {
    need_mlflow
    make_run "$PWD/mlruns" "aekit tests" run-one
    run -0 --separate-stderr "$DRIVER" driver <script.txt
    assert_line --index 1 "lost 0"
    assert_stderr ""
    run -0 --separate-stderr mlflow_check "file://$PWD/mlruns" expect.json
    assert_output --partial "ok "
}

@test "file store: meta.yaml files are byte-identical to MLflow's own YAML dump of them" {
    need_mlflow
    make_run "file:$PWD/ml runs" "on" "0.5"
    run -0 --separate-stderr "$DRIVER" driver <script.txt
    run -0 --separate-stderr "$MLFLOW_PYTHON" - "$PWD/ml runs" <<'EOF'
import glob, sys
from mlflow.utils.yaml_utils import YamlSafeDumper
import yaml
files = glob.glob(sys.argv[1] + "/**/meta.yaml", recursive=True)
assert len(files) == 3, files                      # Default, the experiment, the run
for f in files:
    text = open(f, encoding="utf-8").read()
    d = yaml.safe_load(text)
    again = yaml.dump(d, default_flow_style=False, allow_unicode=True, sort_keys=True,
                      Dumper=YamlSafeDumper)
    assert text == again, (f, text, again)
    if "run_id" in d:
        assert d["run_id"] == d["run_uuid"] and d["status"] == 3 and d["tags"] == [], d
        assert d["run_name"] == "0.5" and isinstance(d["experiment_id"], str), d
    elif d["experiment_id"] != "0":
        assert d["name"] == "on" and len(d["experiment_id"]) == 18, d
print("ok", len(files))
EOF
    assert_output "ok 3"
    run -0 --separate-stderr mlflow_check "$PWD/ml runs" expect.json
}

@test "file store: mlflow server --backend-store-uri on the folder serves the run" {
    need_mlflow
    make_run "$PWD/mlruns" served run-served
    run -0 --separate-stderr "$DRIVER" driver <script.txt
    start_mlflow_server "$PWD/server" "$PWD/mlruns"
    # through the server: its REST API and its artifact store (the run's file: location)
    run -0 --separate-stderr mlflow_check "$SERVER_URL" expect.json
    assert_output --partial "ok "
}

@test "file store: --resume of a run id continues that run; params keep their first value" {
    need_mlflow
    printf 'open\t%s\texp\tfirst\nparam\tepochs\t3\nmetric\tloss\t1.5\t0\nclose\tKILLED\n' "$PWD/mlruns" >s1
    run -0 --separate-stderr "$DRIVER" driver <s1
    id=${lines[0]#run_id }
    printf 'open\t%s\texp\tfirst\t%s\nparam\tepochs\t5\nmetric\tloss\t0.75\t10\nclose\tFINISHED\n' "$PWD/mlruns" "$id" >s2
    run -0 --separate-stderr "$DRIVER" driver <s2
    assert_line --index 0 "run_id $id"
    assert_stderr "test_mlflow: mlflow: run $id keeps param epochs=3 (MLflow params cannot change; now 5)"
    cat >expect.json <<EOF
{"experiment": "exp", "run_name": "first", "run_id": "$id", "status": "FINISHED",
 "params": {"epochs": "3"}, "metrics": {"loss": [[0, 1.5], [10, 0.75]]}}
EOF
    run -0 --separate-stderr mlflow_check "$PWD/mlruns" expect.json
}

@test "file store: an unknown run id to resume starts a new run and says so" {
    need_mlflow
    printf 'open\t%s\texp\tfresh\tfeedfeedfeedfeedfeedfeedfeedfeed\nclose\tFINISHED\n' "$PWD/mlruns" >s
    run -0 --separate-stderr "$DRIVER" driver <s
    assert_stderr "test_mlflow: mlflow: run feedfeedfeedfeedfeedfeedfeedfeed is not in $PWD/mlruns; starting a new run"
    refute_line --index 0 "run_id feedfeedfeedfeedfeedfeedfeedfeed"
}

@test "file store that cannot be created: one warning, nothing logged, exit 0" {
    need_mlflow
    touch notadir
    printf 'open\t%s\texp\tx\nmetric\tloss\t1\t1\nclose\tFINISHED\n' "$PWD/notadir/mlruns" >s
    run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id -\nlost 0'
    assert_stderr "test_mlflow: mlflow: cannot start a run at $PWD/notadir/mlruns: $PWD/notadir/mlruns: Not a directory; nothing will be logged"
}

@test "server: a SQLite-backed mlflow server gets params, tags, status, histories and artifacts" {
    need_mlflow
    make_run "$SHARED_SERVER_URL" "aekit rest" run-rest
    run -0 --separate-stderr "$DRIVER" driver <script.txt
    assert_line --index 1 "lost 0"
    assert_stderr ""
    run -0 --separate-stderr mlflow_check "$SHARED_SERVER_URL" expect.json
    assert_output --partial "ok "
    # the artifacts went through the server's proxy into its artifact store
    run -0 find "$SHARED_SERVER_DIR/artifacts" -name notes.txt -path '*/sub/dir/*'
}

@test "server: resume continues the run on the server, status RUNNING then FINISHED" {
    need_mlflow
    printf 'open\t%s\tresume\tr1\nparam\tseed\t42\nmetric\tloss\t2\t1\nclose\tKILLED\n' "$SHARED_SERVER_URL" >s1
    run -0 --separate-stderr "$DRIVER" driver <s1
    id=${lines[0]#run_id }
    cat >expect.json <<EOF
{"experiment": "resume", "run_name": "r1", "run_id": "$id", "status": "KILLED"}
EOF
    run -0 --separate-stderr mlflow_check "$SHARED_SERVER_URL" expect.json
    printf 'open\t%s\tresume\tr1\t%s\nparam\tseed\t42\nmetric\tloss\t1\t2\nclose\tFINISHED\n' "$SHARED_SERVER_URL" "$id" >s2
    run -0 --separate-stderr "$DRIVER" driver <s2
    assert_output $'run_id '"$id"$'\nlost 0'
    assert_stderr ""
    cat >expect.json <<EOF
{"experiment": "resume", "run_name": "r1", "run_id": "$id", "status": "FINISHED",
 "params": {"seed": "42"}, "metrics": {"loss": [[1, 2.0], [2, 1.0]]}}
EOF
    run -0 --separate-stderr mlflow_check "$SHARED_SERVER_URL" expect.json
}

@test "server stopped mid-run: the caller goes on, one warning, and what was not logged is named" {
    need_mlflow
    start_mlflow_server "$PWD/server" "sqlite:///$PWD/server/mlflow.db"
    url=$SERVER_URL
    echo data >a.txt
    printf 'open\t%s\tdown\tgone\nmetric\tloss\t1\t1\nsleep\t2\nrunid\n' "$url" >s
    mkfifo ctl
    # the driver reads its script from a pipe we hold open while the server is stopped
    "$DRIVER" driver <ctl >out 2>err &
    drv=$!
    exec 4>ctl
    cat s >&4
    for ((i = 0; i < 100; i++)); do grep -q '^run_id .' out 2>/dev/null && [[ $(grep -c '^run_id' out) -ge 2 ]] && break; sleep 0.1; done
    stop_mlflow_server "$PWD/server"
    printf 'metric\tloss\t0.5\t2\nmetric\tloss\t0.25\t3\nartifact\ta.txt\nclose\tFINISHED\t1\n' >&4
    exec 4>&-
    wait "$drv"
    run -0 cat out
    assert_line --index 2 "lost 4"
    id=${lines[0]#run_id }
    run -0 cat err
    assert_line --index 0 --regexp "^test_mlflow: mlflow: cannot log to $url: POST runs/log-batch: .*; going on, retrying in the background\$"
    assert_line --index 1 --regexp "^test_mlflow: mlflow: not logged to $url \\(run $id\\): 2 metric values, artifacts a.txt, the final status FINISHED; last error: POST runs/log-batch: .*\$"
    assert_equal "${#lines[@]}" 2
}

@test "server down from the start: no run id, one warning, a summary, exit 0, bounded wait" {
    need_mlflow
    port=$(free_port)
    printf 'open\thttp://127.0.0.1:%s\texp\tnever\nparam\ta\t1\nmetric\tm\t1\t1\nclose\tFINISHED\t0.5\n' "$port" >s
    run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id -\nlost 3'
    assert_equal "${#stderr_lines[@]}" 2
    assert_stderr_line --partial "mlflow: cannot log to http://127.0.0.1:$port: GET experiments/get-by-name?experiment_name=exp: "
    assert_stderr_line --partial "mlflow: no run was created at http://127.0.0.1:$port, nothing was logged (1 metric value, 1 param, the final status FINISHED); last error: "
}

# A stand-in server that answers 503/429 to the first log-batch calls and 500 to the first
# upload: everything still arrives, and every request carries the credentials.
start_fake() {
    local scheme=http
    [[ $# -gt 1 ]] && scheme=https
    "$PYTHON" "$TESTS_DIR/mlflow_fake_server.py" port requests.jsonl "$1" 60 "${@:2}" </dev/null >fake.log 2>&1 3>&- &
    FAKE_PID=$!
    for ((i = 0; i < 100; i++)); do [[ -s port ]] && break; sleep 0.1; done
    FAKE_URL="$scheme://127.0.0.1:$(cat port)"
}

@test "retries: 503 and 429 on log-batch and 500 on an upload are retried until they pass" {
    need_mlflow
    start_fake 3
    echo payload >a.txt
    printf 'open\t%s\tfake\tretry\nparam\tp\t1\nmetric\tm\t0.5\t1\nartifact\ta.txt\tdir\nclose\tFINISHED\n' "$FAKE_URL" >s
    MLFLOW_TRACKING_USERNAME=alice MLFLOW_TRACKING_PASSWORD='s3cret:x' run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id 0123456789abcdef0123456789abcdef\nlost 0'
    assert_stderr "test_mlflow: mlflow: cannot log to $FAKE_URL: POST runs/log-batch: HTTP 503 TEMPORARILY_UNAVAILABLE: try again; going on, retrying in the background"
    run -0 "$PYTHON" - <<'EOF'
import base64, json
reqs = [json.loads(l) for l in open("requests.jsonl")]
want = "Basic " + base64.b64encode(b"alice:s3cret:x").decode()
assert all(r["auth"] == want for r in reqs), [r["auth"] for r in reqs]
batches = [r for r in reqs if r["path"].endswith("/runs/log-batch")]
# 3 refused, then one that passes with everything queued by then (a refused batch may have
# been taken before the metric was queued: each is a prefix of the last)
assert len(batches) == 4, len(batches)
last = batches[-1]["body"]
assert last["params"] == [{"key": "p", "value": "1"}], last
assert [(m["key"], m["value"], m["step"]) for m in last["metrics"]] == [("m", 0.5, 1)], last
for b in batches[:-1]:
    assert all(b["body"][k] == last[k][:len(b["body"][k])] for k in ("params", "metrics", "tags")), b
puts = [r for r in reqs if r["method"] == "PUT"]
assert [p["path"] for p in puts] == ["/api/2.0/mlflow-artifacts/artifacts/7/0123456789abcdef0123456789abcdef/artifacts/dir/a.txt"] * 2, puts
upd = [r for r in reqs if r["path"].endswith("/runs/update")]
assert len(upd) == 1 and upd[0]["body"]["status"] == "FINISHED", upd
assert [r["path"].split("?")[0].rsplit("/", 2)[-2:] for r in reqs[:3]] == [["experiments", "get-by-name"], ["experiments", "create"], ["runs", "create"]]
print("ok")
EOF
}

@test "a value the server refuses (400) costs only itself: the rest of its batch is sent alone" {
    need_mlflow
    start_fake 0
    printf 'open\t%s\tfake\trefuse\nparam\tp\t1\nmetric\tm\t1\t1\nmetric\tbad\t2\t2\nmetric\tm\t3\t3\nclose\tFINISHED\n' "$FAKE_URL" >s
    run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id 0123456789abcdef0123456789abcdef\nlost 1'
    assert_stderr "test_mlflow: mlflow: $FAKE_URL refused a value: POST runs/log-batch: HTTP 400 INVALID_PARAMETER_VALUE: the key 'bad' is refused
test_mlflow: mlflow: not logged to $FAKE_URL (run 0123456789abcdef0123456789abcdef): 1 metric value; last error: POST runs/log-batch: HTTP 400 INVALID_PARAMETER_VALUE: the key 'bad' is refused"
    run -0 "$PYTHON" -c '
import json
reqs = [json.loads(l) for l in open("requests.jsonl")]
b = [r["body"] for r in reqs if r["path"].endswith("/runs/log-batch")]
keys = lambda x: [e["key"] for e in x["metrics"] + x["params"] + x["tags"]]
refused = [x for x in b if "bad" in keys(x)]
passed = [x for x in b if "bad" not in keys(x)]
# the batch holding "bad" was refused, then its values went alone: only "bad" was refused again
assert keys(refused[-1]) == ["bad"] and len(refused) <= 2, refused
assert sorted(e["value"] for x in passed for e in x["metrics"]) == [1.0, 3.0], passed
assert [e["key"] for x in passed for e in x["params"]] == ["p"], passed
print("ok")'
}

@test "auth: MLFLOW_TRACKING_TOKEN is sent as a bearer token" {
    need_mlflow
    start_fake 0
    printf 'open\t%s\tfake\ttoken\nmetric\tm\t1\t1\nclose\tFINISHED\n' "$FAKE_URL" >s
    MLFLOW_TRACKING_TOKEN=tok-123 run -0 --separate-stderr "$DRIVER" driver <s
    assert_stderr ""
    run -0 "$PYTHON" -c '
import json
reqs = [json.loads(l) for l in open("requests.jsonl")]
assert len(reqs) == 5 and all(r["auth"] == "Bearer tok-123" for r in reqs), reqs
print("ok")'
}

@test "TLS: a self-signed server is refused; MLFLOW_TRACKING_INSECURE_TLS or its CA bundle let it in" {
    need_mlflow
    openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
    start_fake 0 cert.pem key.pem
    printf 'open\t%s\tfake\ttls\nmetric\tm\t1\t1\nclose\tFINISHED\t0.5\n' "$FAKE_URL" >s
    run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id -\nlost 2'
    assert_stderr_line --partial "mlflow: cannot log to $FAKE_URL: GET experiments/get-by-name?experiment_name=fake: SSL certificate problem: self-signed certificate"
    MLFLOW_TRACKING_INSECURE_TLS=true run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id 0123456789abcdef0123456789abcdef\nlost 0'
    assert_stderr ""
    MLFLOW_TRACKING_SERVER_CERT_PATH=$PWD/cert.pem run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id 0123456789abcdef0123456789abcdef\nlost 0'
    assert_stderr ""
}

@test "a server that accepts but never answers: requests time out, are retried, the caller is not held" {
    need_mlflow
    "$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open("port.tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename("port.tmp", "port")
time.sleep(60)' </dev/null >/dev/null 2>&1 3>&- &
    FAKE_PID=$!
    for ((i = 0; i < 100; i++)); do [[ -s port ]] && break; sleep 0.1; done
    url="http://127.0.0.1:$(cat port)"
    printf 'open\t%s\tfake\thole\nmetric\tm\t1\t1\nclose\tFINISHED\t1\n' "$url" >s
    MLFLOW_HTTP_REQUEST_TIMEOUT=1 run -0 --separate-stderr "$DRIVER" driver <s
    assert_output $'run_id -\nlost 2'
    assert_equal "${#stderr_lines[@]}" 2
    [[ ${stderr_lines[0]} =~ ^"test_mlflow: mlflow: cannot log to $url: GET experiments/get-by-name?experiment_name=fake: Operation timed out after "[0-9]+" milliseconds with 0 bytes received; going on, retrying in the background"$ ]]
    assert_stderr_line --partial "mlflow: no run was created at $url, nothing was logged (1 metric value, the final status FINISHED); last error: "
}
