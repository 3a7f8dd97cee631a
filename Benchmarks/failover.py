#!/usr/bin/env python3
"""Failover time of the hot-standby pair, over many failovers (run as root, on demand).

The topology, the gateways and keepalived are those of Tests/Interop/test_redundancy.py: two gateways
with keepalived from deploy/keepalived/ in network namespaces, and a SCADA namespace where a
libIEC61850 client reads MMXU1.TotW through the virtual address every 50 ms, reconnecting at once when
a read fails. Each round kills the active node (gateway and keepalived, SIGKILL), and measures the time
from the last good read through the old active node to the first good read through the new one. The
killed node then restarts (as the standby) and the next round kills the other one.

    sudo python3 Benchmarks/failover.py --rounds 20

Needs `swift build` (debug) first, keepalived, and the interop suite's Python packages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "Interop"))
import netns  # noqa: E402
from clients import CLIENTS, ClientError  # noqa: E402
from conftest import enter_netns  # noqa: E402
from test_redundancy import SIMULATOR, TOTW, VIRTUAL, Node, Simulator, other  # noqa: E402


def reader(namespace: str, log_path: str) -> int:
    """A child in the SCADA namespace that reads through the virtual address every 50 ms and appends
    the CLOCK_MONOTONIC time of every good read to log_path; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    try:
        enter_netns(namespace)
        client = None
        with open(log_path, "a", buffering=1) as log:
            while True:
                try:
                    if client is None:
                        client = CLIENTS["libiec61850"](timeout_ms=1000)
                        client.connect(VIRTUAL, 102, None)
                    client.read(*TOTW)
                    log.write(f"{time.monotonic():.4f}\n")
                except ClientError:
                    try:
                        client.close()
                    except Exception:  # noqa: BLE001
                        pass
                    client = None
                time.sleep(0.05)
    finally:
        os._exit(0)


def good_reads(log_path: str) -> list[float]:
    with open(log_path) as f:
        return [float(line) for line in f if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: network namespaces and keepalived")
    netns.remove_stale()
    work = tempfile.mkdtemp(prefix="failover-")
    times: list[float] = []
    with netns.Topology(workdir=work) as topo:
        with open(os.path.join(work, "field.log"), "ab") as err:
            proc = topo.popen("scada", [SIMULATOR, "--port", "1502", "--bind", "10.62.0.2"], stdin=-1, stdout=-1, stderr=err)
        field = Simulator(proc, "the field simulator")
        field.set("set input 52 float32 1.5 big little")
        nodes = {name: Node(topo, name, work) for name in ("gwa", "gwb")}
        for node in nodes.values():
            node.start()
        netns.wait_until(lambda: len(topo.holders()) == 1, 12, "one node holds the virtual address")
        log_path = os.path.join(work, "reads.log")
        pid = reader(topo.ns("scada"), log_path)
        try:
            netns.wait_until(lambda: os.path.exists(log_path) and len(good_reads(log_path)) > 5, 10, "reads through the virtual address")
            for round_ in range(1, args.rounds + 1):
                active = topo.holders()[0]
                netns.wait_until(lambda: nodes[other(active)].role() == "standby" and nodes[other(active)].healthy(), 20,
                                 f"{other(active)} stands by, healthy")
                time.sleep(1.0)
                nodes[active].kill()
                killed = time.monotonic()  # the node is dead: no read through it succeeds after this
                netns.wait_until(lambda: any(t > killed for t in good_reads(log_path)), 30, "a good read after the kill")
                reads = good_reads(log_path)
                last = max(t for t in reads if t <= killed)
                first = min(t for t in reads if t > killed)
                times.append(first - last)
                print(f"round {round_:2d}: {active} killed, {other(active)} serves; {first - last:.2f} s without a good read", flush=True)
                nodes[active].remove_address()  # what the reboot of a crashed computer does
                nodes[active].start()
                netns.wait_until(lambda: nodes[active].role() == "standby", 10, f"{active} back as the standby")
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    ordered = sorted(times)
    print(f"\n{len(times)} failovers (kill of the active node, advert_int 1): "
          f"p50 {statistics.median(ordered):.2f} s, max {ordered[-1]:.2f} s, min {ordered[0]:.2f} s")


if __name__ == "__main__":
    main()
