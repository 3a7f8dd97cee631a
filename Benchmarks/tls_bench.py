#!/usr/bin/env python3
"""MMS over TLS beside plain MMS, on our server and on libIEC61850's, in the same run.

    swift build -c release --product iec61850-gateway
    python3 Benchmarks/tls_bench.py [--seconds 5] [--threads 2]

For each server (ours: .build/release/iec61850-gateway with a plain and a TLS port; libIEC61850 1.6.1
from pyiec61850-ng: Benchmarks/libiec61850_server.py, one process plain and one with
IedServer_createWithTlsSupport) and each transport:
  - handshakes: TCP connect, TLS handshake with a client certificate (P-256, TLS 1.2 as libIEC61850's
    mbedtls build negotiates, and TLS 1.3 where the server offers it), COTP/ACSE association, close;
    from --threads threads for --seconds. Associations per second, and server CPU per association.
  - reads: one association reading GGIO1$MX$AnIn1$mag$f back to back. Reads per second, the latency
    percentiles the client sees, and server CPU per read.
The client is the same Python one (rawmms.RawClient over the ssl module) for every server, so its cost
is the same on each side; the server's CPU comes from /proc/PID/stat. Certificates are made by
Tests/Fixtures/pki/make-test-pki.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "Tests", "Interop"))
from rawmms import RawClient  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Server:
    def __init__(self, name: str, args: list[str], ports: dict[str, int], ready) -> None:
        self.name, self.ports = name, ports
        self.proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                                     env=dict(os.environ, SWIFT_BACKTRACE="enable=no", HOME=tempfile.mkdtemp()))
        deadline = time.monotonic() + 30
        while not ready(self):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start: {' '.join(args)}")
            time.sleep(0.1)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


def listening(port: int):
    def check(_server) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False
    return check


def context(pki: str, maximum: ssl.TLSVersion) -> ssl.SSLContext:
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(f"{pki}/ca.pem")
    c.load_cert_chain(f"{pki}/viewer.pem", f"{pki}/viewer.key")
    c.maximum_version = maximum
    return c


def handshakes(server: Server, pid: int, port: int, tls, seconds: float, threads: int) -> tuple[float, float]:
    done = [0] * threads
    end = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < end:
            client = RawClient(port, tls=tls)
            client.associate()
            client.close()
            done[i] += 1
    before = cpu_seconds(pid)
    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    total = sum(done)
    return total / elapsed, (cpu_seconds(pid) - before) / max(total, 1) * 1e6


def reads(pid: int, port: int, tls, seconds: float) -> tuple[float, list[float], float]:
    client = RawClient(port, tls=tls)
    client.associate()
    for _ in range(50):
        client.timed_read(domain="DEMOGenericIO", item="GGIO1$MX$AnIn1$mag$f")
    latencies = []
    before = cpu_seconds(pid)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        latencies.append(client.timed_read(domain="DEMOGenericIO", item="GGIO1$MX$AnIn1$mag$f"))
    cpu = cpu_seconds(pid) - before
    client.close()
    return len(latencies) / seconds, latencies, cpu / len(latencies) * 1e6


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gateway", default=os.path.join(REPO, ".build", "release", "iec61850-gateway"))
    args = parser.parse_args()
    pki = tempfile.mkdtemp(prefix="tls-bench-")
    subprocess.run([os.path.join(REPO, "Tests", "Fixtures", "pki", "make-test-pki"), pki], check=True, capture_output=True)
    scl = os.path.join(REPO, "mappings", "demo", "demo.icd")

    ours_plain, ours_tls = free_port(), free_port()
    ours = Server("ours", [args.gateway, "run", "--scl", scl, "--port", str(ours_plain), "--bind", "127.0.0.1", "--event-log", "none",
                           "--max-associations", "100", "--tls-port", str(ours_tls), "--tls-certificate", f"{pki}/server.pem",
                           "--tls-key", f"{pki}/server.key", "--tls-ca", f"{pki}/ca.pem"],
                  {"plain": ours_plain, "tls": ours_tls}, listening(ours_plain))
    reference = os.path.join(HERE, "libiec61850_server.py")
    lib_plain, lib_tls = free_port(), free_port()
    lib = Server("libIEC61850", [sys.executable, reference, "--port", str(lib_plain)], {"plain": lib_plain}, listening(lib_plain))
    lib_secure = Server("libIEC61850 TLS", [sys.executable, reference, "--port", str(lib_tls), "--tls-cert", f"{pki}/server.pem",
                                            "--tls-key", f"{pki}/server.key", "--tls-ca", f"{pki}/ca.pem"],
                        {"tls": lib_tls}, listening(lib_tls))
    try:
        rows = []
        cases = [
            ("ours", ours, ours_plain, None, "plain"),
            ("ours", ours, ours_tls, context(pki, ssl.TLSVersion.TLSv1_2), "TLS 1.2"),
            ("ours", ours, ours_tls, context(pki, ssl.TLSVersion.TLSv1_3), "TLS 1.3"),
            ("libIEC61850", lib, lib_plain, None, "plain"),
            ("libIEC61850", lib_secure, lib_tls, context(pki, ssl.TLSVersion.TLSv1_2), "TLS 1.2"),
            ("libIEC61850", lib_secure, lib_tls, context(pki, ssl.TLSVersion.TLSv1_3), "TLS 1.3"),
        ]
        for name, server, port, tls, transport in cases:
            try:
                rate, cpu_handshake = handshakes(server, server.proc.pid, port, tls, args.seconds, args.threads)
                read_rate, latencies, cpu_read = reads(server.proc.pid, port, tls, args.seconds)
            except (OSError, ssl.SSLError, AssertionError, ConnectionError) as e:
                rows.append((name, transport, None, None, None, None, None, None, f"failed: {e}"))
                continue
            rows.append((name, transport, rate, cpu_handshake, read_rate, percentile(latencies, 0.5), percentile(latencies, 0.99), cpu_read, ""))
        print(f"{'server':12} {'transport':9} {'assoc/s':>8} {'CPU µs/assoc':>13} {'reads/s':>8} {'p50 µs':>7} {'p99 µs':>7} {'CPU µs/read':>12}")
        for name, transport, rate, cpu_h, read_rate, p50, p99, cpu_r, note in rows:
            if rate is None:
                print(f"{name:12} {transport:9} {note}")
                continue
            print(f"{name:12} {transport:9} {rate:8.0f} {cpu_h:13.0f} {read_rate:8.0f} {p50:7.0f} {p99:7.0f} {cpu_r:12.1f}")
        by = {(r[0], r[1]): r for r in rows if r[2] is not None}
        print("\nratios, libIEC61850 / ours (above 1: ours is better)")
        for transport in ("plain", "TLS 1.2", "TLS 1.3"):
            a, b = by.get(("ours", transport)), by.get(("libIEC61850", transport))
            if a and b:
                print(f"  {transport:8} CPU per association {b[3] / a[3]:.2f}, CPU per read {b[7] / a[7]:.2f}, "
                      f"read p50 {b[5] / a[5]:.2f}, p99 {b[6] / a[6]:.2f}, associations/s {a[2] / b[2]:.2f}")
    finally:
        for server in (ours, lib, lib_secure):
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
