#!/usr/bin/env python3
"""Claim latency and server memory with and without 2,000 idle or stalled
connections (the "Slow clients" table of BENCHMARKS.md).

    cargo build --release -p onetimeshare --bin onetimeshare
    python3 scripts/bench-slow-clients.py [--server-bin target/release/onetimeshare] [--claims 300]

Starts the server on a free port with an empty data dir, measures claims
(create + claim, the claim alone is timed) on a quiet server, then opens
1,000 idle connections and 1,000 downloads that never read, measures again
while they sit there, and prints the table.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PART = 8 * 1024 * 1024


def b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Api:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, token=None, raw=None):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            raw = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, "/api/v1" + path, body=raw, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data and r.getheader("content-type", "").startswith("application/json") else data)


def share(api: Api, size: int, downloads: int, payload: bytes | None):
    link, claim = os.urandom(32), os.urandom(32)
    body = {
        "size": size, "expires_in": 3600, "max_downloads": downloads,
        "link_verifier": b64(hashlib.sha256(link).digest()),
        "claim_verifier": b64(hashlib.sha256(claim).digest()),
        "meta": b64(os.urandom(64)), "kdf": None,
    }
    if payload is not None:
        body["payload"] = b64(payload)
    st, v = api.call("POST", "/shares", body)
    assert st == 201, (st, v)
    return v, {"link_token": b64(link), "claim_token": b64(claim)}


def claim_latencies(api: Api, n: int) -> list[float]:
    out = []
    for _ in range(n):
        created, tokens = share(api, 17 + 64, 1, os.urandom(17 + 64))
        t = time.perf_counter()
        st, _ = api.call("POST", f"/shares/{created['id']}/claim", tokens)
        out.append((time.perf_counter() - t) * 1000)
        assert st == 200, st
    return out


def stalled_connections(port: int, api: Api, n: int) -> list[socket.socket]:
    """n/2 idle connections and n/2 downloads of a 3-part share that read nothing."""
    size = 2 * PART + 1000
    created, tokens = share(api, size, 100, None)
    for i in range(3):
        length = min(PART, size - i * PART)
        st, _ = api.call("PUT", f"/shares/{created['id']}/parts/{i}", token=created["upload_token"], raw=os.urandom(length))
        assert st == 204, st
    st, _ = api.call("POST", f"/shares/{created['id']}/complete", token=created["upload_token"])
    assert st == 204, st
    tickets = []
    for _ in range(20):
        st, v = api.call("POST", f"/shares/{created['id']}/claim", tokens)
        assert st == 200, st
        tickets.append(v["ticket"])
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        s.connect(("127.0.0.1", port))
        if i % 2:
            req = (f"GET /api/v1/shares/{created['id']}/blob HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer {tickets[i % len(tickets)]}\r\n\r\n")
            s.sendall(req.encode())
        socks.append(s)
    return socks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-bin", default="target/release/onetimeshare")
    ap.add_argument("--claims", type=int, default=300)
    ap.add_argument("--connections", type=int, default=2000)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        server = subprocess.Popen(
            [args.server_bin, "--listen", f"127.0.0.1:{port}", "--data-dir", f"{work}/data",
             "--site-root", f"{work}/site", "--rate-create-per-min", "0", "--rate-claim-per-min", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            api = Api(port)
            claim_latencies(api, 50)  # warm up
            quiet = claim_latencies(api, args.claims)
            quiet_rss = rss_mib(server.pid)
            socks = stalled_connections(port, api, args.connections)
            time.sleep(1)
            loaded = claim_latencies(Api(port), args.claims)
            loaded_rss = rss_mib(server.pid)
            for s in socks:
                s.close()
        finally:
            server.terminate()
            server.wait()

    def row(name, lat, rss):
        q = statistics.quantiles(lat, n=100)
        return f"| {name} | {statistics.median(lat):.2f} | {q[94]:.2f} | {q[98]:.2f} | {rss:.0f} |"

    print(f"| server | claim p50 (ms) | p95 (ms) | p99 (ms) | RSS (MiB) |")
    print(f"| --- | ---: | ---: | ---: | ---: |")
    print(row("quiet", quiet, quiet_rss))
    print(row(f"{args.connections // 2} idle + {args.connections // 2} stalled downloads", loaded, loaded_rss))
    return 0


if __name__ == "__main__":
    sys.exit(main())
