#!/usr/bin/env python3
"""Gateway load: 10,000 Modbus points polled every second from the bundled simulator.

Generates an IED model with 100 logical nodes of 100 MV data objects (Plant/GGIO1..100.AnIn1..100)
and a configuration mapping each to one input register (uint16, scale 0.1, poll every 1000 ms), starts
the release `modbus-simulator` and `iec61850-gateway run --config`, changes 1,000 registers a second
through the simulator's stdin, and reports the gateway's CPU (share of one core, from /proc/PID/stat)
and resident memory (VmRSS) over the measuring window.

    swift build -c release --product iec61850-gateway --product modbus-simulator
    python3 Benchmarks/gateway_modbus_load.py [--points 10000] [--seconds 20]
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, ".build", "release")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def icd(lns: int, per_ln: int) -> str:
    dos = "".join(f'      <DO name="AnIn{k}" type="MV"/>\n' for k in range(1, per_ln + 1))
    instances = "".join(f'          <LN lnClass="GGIO" inst="{n}" lnType="GGIO"/>\n' for n in range(1, lns + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SCL xmlns="http://www.iec.ch/61850/2003/SCL" version="2007" revision="B">
  <IED name="LOAD">
    <AccessPoint name="AP1">
      <Server>
        <LDevice inst="Plant">
          <LN0 lnClass="LLN0" inst="" lnType="LLN0"/>
{instances}        </LDevice>
      </Server>
    </AccessPoint>
  </IED>
  <DataTypeTemplates>
    <LNodeType id="LLN0" lnClass="LLN0">
      <DO name="Mod" type="ENC"/>
    </LNodeType>
    <LNodeType id="GGIO" lnClass="GGIO">
{dos}    </LNodeType>
    <DOType id="ENC" cdc="ENC">
      <DA name="stVal" bType="INT32" fc="ST" dchg="true"/>
    </DOType>
    <DOType id="MV" cdc="MV">
      <DA name="mag" bType="Struct" type="AV" fc="MX" dchg="true"/>
      <DA name="q" bType="Quality" fc="MX" qchg="true"/>
      <DA name="t" bType="Timestamp" fc="MX"/>
    </DOType>
    <DAType id="AV">
      <BDA name="f" bType="FLOAT32"/>
    </DAType>
  </DataTypeTemplates>
</SCL>
"""


def config(icd_path: str, modbus_port: int, lns: int, per_ln: int) -> str:
    lines = [f"model: {{scl: {icd_path}}}", "server: {port: 0, bind: 127.0.0.1}", "modbus:",
             "  - name: sim", f"    tcp: 127.0.0.1:{modbus_port}", "    timeout-ms: 1000", "points:"]
    address = 0
    for n in range(1, lns + 1):
        for k in range(1, per_ln + 1):
            lines.append(f"  - ref: Plant/GGIO{n}.AnIn{k}")
            lines.append(f"    modbus: {{device: sim, table: input, address: {address}, type: uint16}}")
            lines.append("    scale: 0.1")
            address += 1
    return "\n".join(lines) + "\n"


def proc_stat(pid: int) -> tuple[float, int]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    return cpu, memory(pid)["VmRSS"]


def memory(pid: int) -> dict[str, int]:
    """VmRSS and its parts, RssAnon (the process's own heap and stacks) and RssFile (code pages of the
    binary and the libraries, shared with other processes), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        return {line.split(":")[0]: int(line.split()[1]) for line in f if line.startswith(("VmRSS:", "RssAnon:", "RssFile:"))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    per_ln = 100
    lns = max(1, args.points // per_ln)
    for tool in ("iec61850-gateway", "modbus-simulator"):
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            print(f"build first: swift build -c release --product {tool}", file=sys.stderr)
            return 2
    folder = tempfile.mkdtemp(prefix="gateway-load-")
    icd_path = os.path.join(folder, "load.icd")
    with open(icd_path, "w") as f:
        f.write(icd(lns, per_ln))
    modbus_port = free_port()
    with open(os.path.join(folder, "load.yaml"), "w") as f:
        f.write(config(icd_path, modbus_port, lns, per_ln))
    simulator = subprocess.Popen([os.path.join(BIN, "modbus-simulator"), "--port", str(modbus_port)],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)
    gateway = subprocess.Popen([os.path.join(BIN, "iec61850-gateway"), "run", "--config", os.path.join(folder, "load.yaml"),
                                "--log-level", "warning", "--event-log", os.environ.get("EVENT_LOG", os.path.join(folder, "events.sqlite"))], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(5)  # start-up and the first polls
        if gateway.poll() is not None:
            print(gateway.stderr.read(), file=sys.stderr)
            return 1
        points = lns * per_ln
        cpu0, _ = proc_stat(gateway.pid)
        start = time.monotonic()
        peak_rss = 0
        while time.monotonic() - start < args.seconds:
            for _ in range(1000):  # 1,000 changed registers a second
                simulator.stdin.write(f"set input {random.randrange(points)} uint16 {random.randrange(65536)}\n")
            simulator.stdin.flush()
            time.sleep(1)
            peak_rss = max(peak_rss, proc_stat(gateway.pid)[1])
        elapsed = time.monotonic() - start
        cpu1, rss = proc_stat(gateway.pid)
        parts = memory(gateway.pid)
        print(f"{points} Modbus points polled every 1000 ms (1,000 changing a second), {elapsed:.0f} s measured")
        print(f"gateway CPU: {100 * (cpu1 - cpu0) / elapsed:.1f} % of one core; resident memory {rss / 1024:.1f} MiB (peak {peak_rss / 1024:.1f} MiB;"
              f" heap and stacks {parts['RssAnon'] / 1024:.1f} MiB, code pages {parts['RssFile'] / 1024:.1f} MiB)")
        return 0
    finally:
        for process in (gateway, simulator):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
