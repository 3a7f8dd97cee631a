#!/usr/bin/env python3
"""File transfer: our gateway's file services against libIEC61850's server, side by side in one run.

Both serve the same folder with a `--size` MB file. The libIEC61850 client of pyiec61850-ng downloads it
(FileOpen, FileRead until the end, FileClose; MmsConnection_downloadFile) `--downloads` times per round
from each server in turn, `--rounds` rounds, PDU size 65000 on both sides. Reported per server: the
transfer rate seen by the client and the server's CPU time per MB (from /proc/PID/stat), with the ratio
ours / libIEC61850 for each round. Every download is compared with the file.

    swift build -c release --product iec61850-gateway
    python3 Benchmarks/file_transfer.py [--size 20] [--downloads 5] [--rounds 3]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GATEWAY = os.path.join(ROOT, ".build", "release", "iec61850-gateway")
sys.path.insert(0, HERE)
from tls_bench import cpu_seconds, free_port  # noqa: E402  (the benchmarks' shared helpers)
def wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"a server exited before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def download(port: int, name: str, target: str, count: int) -> None:
    import pyiec61850.pyiec61850 as L
    con = L.IedConnection_create()
    _, err = L.IedConnection_connect(con, "127.0.0.1", port)
    if err:
        sys.exit(f"connect to {port}: {err}")
    try:
        for _ in range(count):
            error = L.MmsError_create()
            ok = L.MmsConnection_downloadFile(L.IedConnection_getMmsConnection(con), error, name, target)
            code = L.MmsError_getValue(error)
            L.MmsErrror_destroy(error)
            if not ok or code:
                sys.exit(f"download from {port} failed: MmsError {code}")
    finally:
        L.IedConnection_close(con)
        L.IedConnection_destroy(con)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20, help="MB")
    parser.add_argument("--downloads", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.access(GATEWAY, os.X_OK):
        sys.exit("build first: swift build -c release --product iec61850-gateway")
    folder = tempfile.mkdtemp(prefix="file-bench-")
    content = os.urandom(args.size << 20)
    with open(os.path.join(folder, "record.bin"), "wb") as f:
        f.write(content)
    ours_port, reference_port = free_port(), free_port()
    scl = os.path.join(ROOT, "mappings", "demo", "demo.icd")
    servers = {
        "ours": subprocess.Popen([GATEWAY, "run", "--scl", scl, "--port", str(ours_port), "--bind", "127.0.0.1", "--files", folder,
                                  "--event-log", "none", "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        "libIEC61850": subprocess.Popen([sys.executable, os.path.join(HERE, "libiec61850_server.py"), "--port", str(reference_port),
                                         "--files", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    }
    ports = {"ours": ours_port, "libIEC61850": reference_port}
    try:
        for name, proc in servers.items():
            wait_port(ports[name], proc)
        target = os.path.join(folder, "downloaded.bin")
        megabytes = args.size * args.downloads
        print(f"File download, {args.size} MB x {args.downloads} per round and server, PDU 65000, 127.0.0.1")
        print(f"{'round':>5} {'server':<12} {'MB/s':>8} {'server CPU ms/MB':>17}")
        for round in range(1, args.rounds + 1):
            cost = {}
            for name in ("ours", "libIEC61850"):
                pid = servers[name].pid
                cpu0, wall0 = cpu_seconds(pid), time.monotonic()
                download(ports[name], "record.bin", target, args.downloads)
                wall, cpu = time.monotonic() - wall0, cpu_seconds(pid) - cpu0
                with open(target, "rb") as f:
                    if f.read() != content:
                        sys.exit(f"{name}: the download differs from the file")
                cost[name] = 1000 * cpu / megabytes
                print(f"{round:>5} {name:<12} {megabytes / wall:>8.1f} {cost[name]:>17.2f}")
            print(f"      server CPU per MB, ours / libIEC61850: {cost['ours'] / cost['libIEC61850']:.2f}")
        return 0
    finally:
        for proc in servers.values():
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


if __name__ == "__main__":
    sys.exit(main())
