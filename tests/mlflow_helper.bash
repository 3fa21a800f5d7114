# mlflow_helper.bash: MLflow for the tracking tests (loaded after helper.bash).
#   MLFLOW_PYTHON   the interpreter with MLflow; when unset, .ci/mlflow-env makes the venv and
#                   says where. Without it the tests fail under CI=true and skip otherwise.
#   DRIVER          build/tests/test_mlflow, the client's test driver (see tests/unit/test_mlflow.c)
#   start_mlflow_server DIR BACKEND_URI   -> SERVER_URL; stop_mlflow_server DIR

mlflow_setup_file() {
    export MLFLOW_ALLOW_FILE_STORE=true
    if [[ -z "${MLFLOW_PYTHON:-}" ]]; then
        MLFLOW_PYTHON=$(sh "$REPO_DIR/.ci/mlflow-env" 3>&-) || MLFLOW_PYTHON=
    fi
    export MLFLOW_PYTHON
    DRIVER="${AEKIT_BUILD:-$REPO_DIR/build}/tests/test_mlflow"
    if [[ ! -x "$DRIVER" ]]; then
        make -s -C "$REPO_DIR" "${DRIVER#"$REPO_DIR"/}" >/dev/null 3>&- || true
    fi
    export DRIVER
}

need_mlflow() {
    if [[ -z "$MLFLOW_PYTHON" || ! -x "$MLFLOW_PYTHON" ]]; then
        if [[ "${CI:-}" == true ]]; then
            fail "MLflow is not installed: .ci/mlflow-env failed and MLFLOW_PYTHON is unset"
        fi
        skip "MLflow is not installed (.ci/mlflow-env failed; set MLFLOW_PYTHON)"
    fi
}

need_driver() {
    [[ -x "$DRIVER" ]] || fail "no test driver at $DRIVER (make $DRIVER)"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_mlflow_server DIR BACKEND_URI: an MLflow server on 127.0.0.1 serving artifacts from
# DIR/artifacts; waits (at most 120 s) until /health answers. Sets SERVER_URL.
start_mlflow_server() {
    local dir=$1 backend=$2 port pid i
    mkdir -p "$dir"
    port=$(free_port)
    setsid "$(dirname "$MLFLOW_PYTHON")/mlflow" server --backend-store-uri "$backend" \
        --artifacts-destination "$dir/artifacts" --host 127.0.0.1 --port "$port" --workers 1 \
        </dev/null >"$dir/server.log" 2>&1 3>&- &
    pid=$!
    echo "$pid" >"$dir/server.pid"
    SERVER_URL="http://127.0.0.1:$port"
    for ((i = 0; i < 240; i++)); do
        if curl -sf -m 2 "$SERVER_URL/health" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$dir/server.log" >&2
            echo "mlflow server exited" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "mlflow server did not answer within 120 s" >&2
    return 1
}

# stop_mlflow_server DIR: the server's whole process group, TERM then KILL (bounded).
stop_mlflow_server() {
    local dir=$1 pid i
    [[ -f "$dir/server.pid" ]] || return 0
    pid=$(cat "$dir/server.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/server.pid"
}

# mlflow_check URI EXPECT.json: read the run with MLflow's client (tests/mlflow_check.py).
mlflow_check() {
    "$MLFLOW_PYTHON" "$TESTS_DIR/mlflow_check.py" "$@"
}
