"""A stand-in MLflow tracking server that fails on purpose, for the client's retry and auth paths
(the real MLflow server is used for everything else in tests/mlflow.bats).

usage: python3 mlflow_fake_server.py PORT_FILE LOG_FILE FAILURES [LIFETIME_S [CERT KEY]]

Listens on 127.0.0.1 (a free port, written to PORT_FILE). The first FAILURES calls of
runs/log-batch answer 503 and 429 in turn, the first artifact upload answers 500, then all
succeed; a log-batch holding the key "bad" always answers 400. Every request is appended to LOG_FILE as one JSON line: method, path, the
Authorization header, and the JSON body. Stops by itself after LIFETIME_S (default 120).
With CERT and KEY (PEM files) it speaks HTTPS.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, LOG_FILE, FAILURES = sys.argv[1], sys.argv[2], int(sys.argv[3])
LIFETIME = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
CERT = sys.argv[5:7] if len(sys.argv) > 6 else None
RUN_ID = "0123456789abcdef0123456789abcdef"
state = {"experiment": None, "log_batch": 0, "artifact": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, body):
        entry = {"method": self.command, "path": self.path,
                 "auth": self.headers.get("Authorization"), "body": body}
        with lock, open(LOG_FILE, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.record(None)
        if self.path.startswith("/api/2.0/mlflow/experiments/get-by-name"):
            if state["experiment"] is None:
                return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST",
                                         "message": "no such experiment"})
            return self.answer(200, {"experiment": {"experiment_id": "7", "name": state["experiment"],
                                                    "lifecycle_stage": "active"}})
        self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": self.path})

    def do_POST(self):
        raw = self.read_body()
        body = json.loads(raw) if raw else None
        self.record(body)
        p = self.path
        if p == "/api/2.0/mlflow/experiments/create":
            state["experiment"] = body["name"]
            return self.answer(200, {"experiment_id": "7"})
        if p == "/api/2.0/mlflow/runs/create":
            return self.answer(200, {"run": {"info": {
                "run_id": RUN_ID, "experiment_id": "7", "status": "RUNNING",
                "artifact_uri": "mlflow-artifacts:/7/%s/artifacts" % RUN_ID}}})
        if p == "/api/2.0/mlflow/runs/log-batch":
            with lock:
                state["log_batch"] += 1
                n = state["log_batch"]
            keys = [e["key"] for e in body.get("metrics", []) + body.get("params", []) + body.get("tags", [])]
            if "bad" in keys:
                return self.answer(400, {"error_code": "INVALID_PARAMETER_VALUE",
                                         "message": "the key 'bad' is refused"})
            if n <= FAILURES:
                code = 503 if n % 2 else 429
                return self.answer(code, {"error_code": "TEMPORARILY_UNAVAILABLE",
                                          "message": "try again"})
            return self.answer(200, {})
        if p == "/api/2.0/mlflow/runs/update":
            return self.answer(200, {"run_info": {"run_id": RUN_ID, "status": body["status"]}})
        self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": p})

    def do_PUT(self):
        data = self.read_body()
        self.record({"bytes": len(data)})
        with lock:
            state["artifact"] += 1
            n = state["artifact"]
        if n == 1:
            return self.answer(500, {"error_code": "INTERNAL_ERROR", "message": "disk hiccup"})
        self.answer(200, {})


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if CERT:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT[0], CERT[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    threading.Timer(LIFETIME, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
