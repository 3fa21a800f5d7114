#!/usr/bin/env bats
# ae-train-mlflow.bats: ae-train's experiment tracking read back with MLflow itself: a file
# store through MlflowClient and search_runs, a SQLite-backed `mlflow server`, a server stopped
# mid-training, Ctrl-C then --resume into the same run, an error mid-run, and the option errors.
# Expected metric histories come from the run's own training_metrics.h5 (read with h5py).
bats_require_minimum_version 1.5.0
load helper
load mlflow_helper

setup_file() {
    mlflow_setup_file
    # a small corpus of real RCV1 documents (tests/ref/make_dataset.py), and a larger one for
    # the runs that are stopped on purpose
    "$PYTHON" "$TESTS_DIR/ref/make_dataset.py" "$BATS_FILE_TMPDIR/small.h5" --features 50 --rows 300
    "$PYTHON" "$TESTS_DIR/ref/make_dataset.py" "$BATS_FILE_TMPDIR/big.h5" --features 200 --rows 1000
    export SMALL="$BATS_FILE_TMPDIR/small.h5" BIG="$BATS_FILE_TMPDIR/big.h5"
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    unset MLFLOW_TRACKING_URI
}

teardown() {
    if [[ -n "${TRAIN_PID:-}" ]]; then kill -CONT "$TRAIN_PID" 2>/dev/null; kill -KILL "$TRAIN_PID" 2>/dev/null || true; fi
    stop_mlflow_server "$BATS_TEST_TMPDIR/server"
}

# expect OUTDIR EXPERIMENT STATUS [ARTIFACT...]: expect.json for mlflow_check from OUTDIR's
# config.yaml and training_metrics.h5: every epoch metric at the global step of the epoch's
# end, train_loss_step at its steps, the params and tags ae-train logs, the artifacts named.
expect() {
    "$PYTHON" - "$@" <<'EOF'
import json, math, os, sys
import h5py
out, exp, status, arts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
cfg = open(os.path.join(out, "config.yaml")).read()
def cfg_int(key):
    return int(next(l.split(":")[1] for l in cfg.splitlines() if l.strip().startswith(key + ":")))
train_rows, batch = cfg_int("train_rows"), cfg_int("batch_size")
steps_per_epoch = math.ceil(train_rows / batch)
m = h5py.File(os.path.join(out, "training_metrics.h5"), "r")
metrics = {}
for k in ["train_loss", "val_loss", "train_recon_loss", "train_l1_loss", "learning_rate",
          "epoch_seconds", "samples_per_second", "epoch"]:
    metrics[k] = [[int(e + 1) * steps_per_epoch, repr(float(v))] for e, v in zip(m["epoch"][:], m[k][:])]
metrics["train_loss_step"] = [[int(s), repr(float(v))] for s, v in zip(m["step"][:], m["train_loss_step"][:])]
outdir = os.path.realpath(out)
want = {"experiment": exp, "run_name": os.path.basename(outdir), "status": status,
        "metrics": metrics, "metrics_exact": True, "params_subset": True,
        "params": {"dims": "50,16,2", "batch_size": str(batch), "epochs": "3",
                   "learning_rate": "0.0003", "weight_decay": "0.01",
                   "l1_alpha": "None", "precision": "32-true", "device": "cpu",
                   "dataset": os.environ["SMALL"], "dataset_shape": "300,50",
                   "train_rows": str(train_rows), "activation": "relu", "seed": "42"},
        "tags": {"mlflow.runName": os.path.basename(outdir), "mlflow.source.type": "LOCAL",
                 "aekit.outdir": outdir, "aekit.version": "0.1.0"},
        "artifacts": {a: os.path.join(out, a) for a in arts}}
if "RUN_ID" in os.environ:
    want["run_id"] = os.environ["RUN_ID"]
json.dump(want, open("expect.json", "w"))
EOF
}

# wait_for FILE: until it exists (at most 60 s)
wait_for() {
    local i
    for ((i = 0; i < 600; i++)); do [[ -e "$1" ]] && return 0; sleep 0.1; done
    echo "timed out waiting for $1" >&2
    return 1
}

@test "file store: ae-train's run read by MlflowClient and served by mlflow server: params, tags, FINISHED, histories equal to training_metrics.h5, artifacts" {
    need_mlflow
    run -0 --separate-stderr ae-train -q "$SMALL" out 50,16,2 -e 3 --log-every-n-steps 5 \
        --mlflow-uri "$PWD/mlruns" --experiment exp1 --log-model best
    assert_stderr ""
    best=$(cd out && ls checkpoints | grep val_loss | sort -t= -k3 -n | head -1)
    expect out exp1 FINISHED config.yaml training_metrics.h5 "checkpoints/$best"
    run -0 --separate-stderr mlflow_check "$PWD/mlruns" expect.json
    assert_output --partial "ok "
    id=${output#ok }
    # --log-model best: the best checkpoint only
    run -0 ls mlruns/*/*/artifacts/checkpoints
    assert_output "$best"
    # the run id is kept in every checkpoint
    for f in out/checkpoints/*.ckpt; do
        run -0 "$PYTHON" -c '
import h5py, sys
v = h5py.File(sys.argv[1], "r")["trainer"].attrs["mlflow_run_id"]
print(v.decode() if isinstance(v, bytes) else v)' "$f"
        assert_output "$id"
    done
    # and `mlflow server --backend-store-uri` on that folder serves the same run
    start_mlflow_server "$PWD/server" "$PWD/mlruns"
    run -0 --separate-stderr mlflow_check "$SERVER_URL" expect.json
    assert_output "ok $id"
}

@test "MLFLOW_TRACKING_URI is used without --mlflow-uri, ./mlruns without either, none logs nothing" {
    need_mlflow
    MLFLOW_TRACKING_URI="file:$PWD/env runs" run -0 --separate-stderr ae-train -q "$SMALL" a 50,16,2 -e 1
    run -0 ls "env runs"
    run -0 --separate-stderr ae-train -q "$SMALL" b 50,16,2 -e 1
    run -0 ls mlruns
    mkdir c && cd c
    MLFLOW_TRACKING_URI="$PWD/x" run -0 --separate-stderr ae-train -q "$SMALL" out 50,16,2 -e 1 --mlflow-uri none
    assert_file_absent mlruns
    assert_file_absent x
}

@test "server: ae-train against a SQLite-backed mlflow server; --log-model all uploads every checkpoint" {
    need_mlflow
    start_mlflow_server "$PWD/server" "sqlite:///$PWD/server/mlflow.db"
    run -0 --separate-stderr ae-train -q "$SMALL" rest 50,16,2 -e 3 --log-every-n-steps 5 \
        --mlflow-uri "$SERVER_URL" --experiment exp2 --log-model all
    assert_stderr ""
    arts=(config.yaml training_metrics.h5)
    for f in rest/checkpoints/*.ckpt; do arts+=("checkpoints/${f##*/}"); done
    [[ ${#arts[@]} -eq 6 ]]
    expect rest exp2 FINISHED "${arts[@]}"
    run -0 --separate-stderr mlflow_check "$SERVER_URL" expect.json
    assert_output --partial "ok "
}

@test "server stopped mid-training: training completes with exit 0, one warning and a summary" {
    need_mlflow
    start_mlflow_server "$PWD/server" "sqlite:///$PWD/server/mlflow.db"
    AEKIT_MLFLOW_FLUSH_TIMEOUT=1 ae-train -q "$BIG" out 200,64,2 -e 300 --log-every-n-steps 1 \
        --mlflow-uri "$SERVER_URL" >train.out 2>train.err 3>&- &
    TRAIN_PID=$!
    # once the run exists on the server, pause training, stop the server, go on
    for ((i = 0; i < 600; i++)); do
        grep -q 'POST /api/2.0/mlflow/runs/create HTTP/1.1" 200' server/server.log && break
        sleep 0.1
    done
    kill -STOP "$TRAIN_PID" || fail "training ended before the server could be stopped"
    stop_mlflow_server "$PWD/server"
    kill -CONT "$TRAIN_PID"
    rc=0
    wait "$TRAIN_PID" || rc=$?
    TRAIN_PID=
    assert_equal "$rc" 0
    run -0 cat train.err
    assert_equal "${#lines[@]}" 2
    assert_line --index 0 --regexp "^ae-train: mlflow: cannot log to $SERVER_URL: .*; going on, retrying in the background\$"
    assert_line --index 1 --regexp "^ae-train: mlflow: not logged to $SERVER_URL \\(run [0-9a-f]{32}\\): [0-9]+ metric values, .*artifacts .*training_metrics.h5, the final status FINISHED; last error: .*\$"
    # OUTDIR's own files are complete
    run -0 "$PYTHON" -c 'import h5py; f = h5py.File("out/training_metrics.h5"); assert len(f["epoch"]) == 300; print("ok")'
    [[ -f out/checkpoints/last.ckpt ]]
}

@test "Ctrl-C: status KILLED; --resume continues the same run to FINISHED with the whole history" {
    need_mlflow
    # SIGINT right after step 40 of 150 (ae-train's testing aid), in the second epoch
    AEKIT_INTERRUPT_AFTER_STEP=40 run -130 --separate-stderr ae-train -q "$BIG" out 200,64,2 -e 6 \
        --log-every-n-steps 3 --mlflow-uri "$PWD/mlruns"
    run -0 "$MLFLOW_PYTHON" -c '
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
r = mlflow.search_runs(experiment_names=["autoencoder_nlp"])
assert len(r) == 1 and r.status[0] == "KILLED", r
print(r.run_id[0])' "$PWD/mlruns"
    id=$output
    run -0 --separate-stderr ae-train -q "$BIG" out --resume out/checkpoints/last.ckpt -e 6 \
        --log-every-n-steps 3 --mlflow-uri "$PWD/mlruns"
    assert_stderr ""
    RUN_ID=$id expect out autoencoder_nlp FINISHED training_metrics.h5
    # the big corpus: its own dims, epochs and shape
    "$PYTHON" - <<'EOF'
import json
w = json.load(open("expect.json"))
w["params"].update({"dims": "200,64,2", "epochs": "6", "dataset_shape": "1000,200"})
w["params"]["dataset"] = w["params"]["dataset"].replace("small.h5", "big.h5")
json.dump(w, open("expect.json", "w"))
EOF
    run -0 --separate-stderr mlflow_check "$PWD/mlruns" expect.json
    assert_output "ok $id"
}

@test "an error mid-training: status FAILED, training_metrics.h5 logged so far" {
    need_mlflow
    ae-train -q "$BIG" out 200,64,2 -e 300 --mlflow-uri "$PWD/mlruns" >train.out 2>train.err 3>&- &
    TRAIN_PID=$!
    wait_for out/training_metrics.h5   # an epoch is done: there is something to log
    kill -STOP "$TRAIN_PID" || fail "training ended before the error could be set up"
    # the checkpoint folder becomes a file: the next checkpoint cannot be written
    rm -rf out/checkpoints
    touch out/checkpoints
    kill -CONT "$TRAIN_PID"
    rc=0
    wait "$TRAIN_PID" || rc=$?
    TRAIN_PID=
    assert_equal "$rc" 1
    run -0 "$MLFLOW_PYTHON" -c '
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
r = mlflow.search_runs(experiment_names=["autoencoder_nlp"])
assert len(r) == 1 and r.status[0] == "FAILED" and r.end_time[0] is not None, r
print("ok")' "$PWD/mlruns"
    # the error is ae-train's own; tracking added nothing to stderr
    run -0 cat train.err
    assert_equal "${#lines[@]}" 1
    assert_output --regexp '^ae-train: out/checkpoints/[^ ]+: cannot '
    run -0 find mlruns -path '*/artifacts/training_metrics.h5'
    assert_equal "${#lines[@]}" 1
}

@test "option errors: unsupported URI (flag or environment), --log-model, --experiment" {
    run -2 --separate-stderr ae-train "$SMALL" out 50,16,2 --mlflow-uri sqlite:///mlflow.db
    assert_stderr "ae-train: --mlflow-uri: unsupported tracking URI 'sqlite:///mlflow.db' (accepted: a directory path, file:PATH, http://HOST[:PORT][/PATH], https://HOST[:PORT][/PATH] or none)
usage: $(ae-train --help | head -1 | sed 's/^usage: //')"
    MLFLOW_TRACKING_URI=databricks://x run -2 --separate-stderr ae-train "$SMALL" out 50,16,2
    assert_stderr_line "ae-train: MLFLOW_TRACKING_URI: unsupported tracking URI 'databricks://x' (accepted: a directory path, file:PATH, http://HOST[:PORT][/PATH], https://HOST[:PORT][/PATH] or none)"
    run -2 --separate-stderr ae-train "$SMALL" out 50,16,2 --log-model some
    assert_stderr_line "ae-train: --log-model: 'some' is not one of best, all, none"
    run -2 --separate-stderr ae-train "$SMALL" out 50,16,2 --experiment ''
    assert_stderr_line "ae-train: --experiment: the name is empty"
    assert_file_absent out
}

@test "resume with more epochs: the same run, a warning that the epochs param keeps its first value" {
    need_mlflow
    run -0 --separate-stderr ae-train -q "$SMALL" out 50,16,2 -e 1 --mlflow-uri "$PWD/mlruns"
    id=$("$PYTHON" -c 'import h5py, sys; v = h5py.File(sys.argv[1], "r")["trainer"].attrs["mlflow_run_id"]; print(v.decode() if isinstance(v, bytes) else v)' out/checkpoints/last.ckpt)
    run -0 --separate-stderr ae-train -q "$SMALL" out --resume out/checkpoints/last.ckpt -e 3 \
        --mlflow-uri "$PWD/mlruns"
    assert_stderr "ae-train: mlflow: run $id keeps param epochs=1 (MLflow params cannot change; now 3)"
    RUN_ID=$id expect out autoencoder_nlp FINISHED config.yaml training_metrics.h5
    "$PYTHON" - <<'PY'
import json
w = json.load(open("expect.json"))
w["params"].update({"epochs": "1", "log_every_n_steps": "50"})
json.dump(w, open("expect.json", "w"))
PY
    run -0 --separate-stderr mlflow_check "$PWD/mlruns" expect.json
    assert_output "ok $id"
}
