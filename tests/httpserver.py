#!/usr/bin/env python3
"""httpserver.py: a test HTTP server for rcv1-fetch (stdlib only).

Serves the files of --root on 127.0.0.1 on a free port, with byte-range support (Range:
bytes=A- and bytes=A-B, 206 with Content-Range, 416 past the end), and the faults below,
chosen per run. Faults apply to the files named by --files (default: every file); counters
are per file.

  --fail-first K      answer the first K requests with --fail-status (default 503)
  --status CODE       answer every request with CODE (404, 403, ...)
  --drop-after N      send the headers and N body bytes, then close the connection;
                      for the first --drop-times requests (default 1); with --reset,
                      close with a TCP reset instead of an orderly shutdown
  --stall-after N     send N body bytes, then send nothing more (until the client leaves)
  --html              answer 200 with an HTML page instead of the file
  --corrupt           serve the file with one byte changed (wrong content, right length)
  --ignore-range      ignore Range headers: always 200 with the whole file
  --slow S            sleep S seconds before each --chunk bytes (default 4096) of body

The port is written to --port-file (atomically, once listening). Each request appends a line
to --log:  GET /NAME range=<Range header or -> ua=<User-Agent> status=<code> active=<n>
where active is the number of requests being served at that moment (this one included).
The server exits by itself after --lifetime seconds (default 120) so none outlives a test.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = (b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>\n"
        b"<body><h1>Please enable cookies</h1></body></html>\n")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = {}      # per-file request counter
        self.active = 0
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def log_line(self, line):
        if self.log:
            with self.lock:
                self.log.write(line + "\n")
                self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aekit-test/1"

    def log_message(self, fmt, *a):  # quiet: the --log file is the record
        pass

    def do_HEAD(self):
        self.handle_get(head=True)

    def do_GET(self):
        self.handle_get(head=False)

    def handle_get(self, head):
        st = self.server.state
        a = st.args
        name = self.path.split("?", 1)[0].lstrip("/")
        faulty = not a.files or name in a.files.split(",")
        with st.lock:
            st.active += 1
            nreq = st.count.get(name, 0) + 1
            if faulty:
                st.count[name] = nreq
            active = st.active
        try:
            self.serve(st, a, name, faulty, nreq, active, head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with st.lock:
                st.active -= 1

    def respond(self, st, code, active, headers, body=b""):
        rng = self.headers.get("Range", "-")
        ua = self.headers.get("User-Agent", "-")
        st.log_line(f"GET {self.path} range={rng} ua={ua} status={code} active={active}")
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        return body

    def serve(self, st, a, name, faulty, nreq, active, head):
        path = os.path.join(a.root, name)
        if faulty and a.status:
            body = b"<html><body>error</body></html>\n"
            self.respond(st, a.status, active, [("Content-Type", "text/html"),
                                                ("Content-Length", str(len(body)))])
            self.wfile.write(body)
            return
        if faulty and nreq <= a.fail_first:
            body = b"busy\n"
            self.respond(st, a.fail_status, active, [("Content-Type", "text/plain"),
                                                     ("Content-Length", str(len(body)))])
            self.wfile.write(body)
            return
        if "/" in name or not name or not os.path.isfile(path):
            body = b"not found\n"
            self.respond(st, 404, active, [("Content-Type", "text/plain"),
                                           ("Content-Length", str(len(body)))])
            self.wfile.write(body)
            return
        if faulty and a.html:
            self.respond(st, 200, active, [("Content-Type", "text/html; charset=utf-8"),
                                           ("Content-Length", str(len(HTML)))])
            self.wfile.write(HTML)
            return
        with open(path, "rb") as f:
            data = f.read()
        if faulty and a.corrupt and data:
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        size = len(data)
        start, end, code = 0, size - 1, 200
        rng = self.headers.get("Range")
        if rng and not (faulty and a.ignore_range):
            try:
                unit, spec = rng.split("=", 1)
                s, e = spec.split("-", 1)
                assert unit.strip() == "bytes" and s != ""
                start = int(s)
                end = min(int(e), size - 1) if e else size - 1
            except (ValueError, AssertionError):
                start, end = 0, size - 1
            else:
                if start >= size or start > end:
                    self.respond(st, 416, active, [("Content-Range", f"bytes */{size}"),
                                                   ("Content-Length", "0")])
                    return
                code = 206
        headers = [("Content-Type", "application/gzip"),
                   ("Content-Length", str(end - start + 1))]
        if code == 206:
            headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        self.respond(st, code, active, headers)
        if head:
            return
        body = data[start:end + 1]
        limit = len(body)
        drop = faulty and a.drop_after is not None and nreq <= a.drop_times
        stall = faulty and a.stall_after is not None
        if drop:
            limit = min(limit, a.drop_after)
        if stall:
            limit = min(limit, a.stall_after)
        off = 0
        while off < limit:
            if faulty and a.slow:
                time.sleep(a.slow)
            n = min(a.chunk, limit - off)
            self.wfile.write(body[off:off + n])
            off += n
        if drop and limit < len(body):
            self.close_connection = True
            if a.reset:
                # SO_LINGER with a zero timeout: close() sends RST
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        elif stall and limit < len(body):
            # hold the connection open, sending nothing, until the client gives up
            self.connection.settimeout(a.lifetime)
            try:
                while self.connection.recv(1024):
                    pass
            except OSError:
                pass
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (as rcv1-fetch does on a stall) is not news


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--files", default="")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--status", type=int, default=0)
    p.add_argument("--drop-after", type=int)
    p.add_argument("--drop-times", type=int, default=1)
    p.add_argument("--reset", action="store_true")
    p.add_argument("--stall-after", type=int)
    p.add_argument("--html", action="store_true")
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--ignore-range", action="store_true")
    p.add_argument("--slow", type=float, default=0)
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--lifetime", type=float, default=120)
    a = p.parse_args()

    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = State(a)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    os.rename(tmp, a.port_file)
    t = threading.Timer(a.lifetime, lambda: os._exit(0))
    t.daemon = True
    t.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
