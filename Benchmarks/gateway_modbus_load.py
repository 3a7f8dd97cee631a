#!/usr/bin/env python3
"""Gateway load: Modbus points polled every second from the bundled simulator.

Generates an IED model with logical nodes of 100 MV data objects each (Plant/GGIO1...AnIn1..100) and a
configuration mapping each to one input register (uint16, scale 0.1, poll every 1000 ms) of one of
`--devices` simulated Modbus TCP devices (a `modbus-simulator` each, up to 10,000 registers per device),
starts them and `iec61850-gateway run --config`, changes `--change` of the registers a second (10 %
by default) through the simulators' stdin, and reports the gateway's start-up time (until its MMS port
accepts), its CPU (share of one core, from /proc/PID/stat) and resident memory (VmRSS) over the
measuring window.

    swift build -c release --product iec61850-gateway && swift build -c release --product modbus-simulator
    python3 Benchmarks/gateway_modbus_load.py [--points 10000] [--devices 1] [--seconds 20]
    python3 Benchmarks/gateway_modbus_load.py --points 100000 --devices 10
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


def icd(lns: int, per_ln: int, data_set_lns: int = 0, initial: float | None = None) -> str:
    """The model: LD Plant with `lns` GGIO of `per_ln` MV data objects. With `data_set_lns`, LLN0 has the
    data set Big of the MX data objects of GGIO1..data_set_lns and urcbBig (RptID Big) on it (the scale
    test's GI); `initial` is every mag.f's initial value."""
    dos = "".join(f'      <DO name="AnIn{k}" type="MV"/>\n' for k in range(1, per_ln + 1))
    instances = "".join(f'          <LN lnClass="GGIO" inst="{n}" lnType="GGIO"/>\n' for n in range(1, lns + 1))
    ln0 = '          <LN0 lnClass="LLN0" inst="" lnType="LLN0"/>\n'
    if data_set_lns:
        members = "".join(
            f'              <FCDA ldInst="Plant" lnClass="GGIO" lnInst="{n}" doName="AnIn{k}" fc="MX"/>\n'
            for n in range(1, data_set_lns + 1) for k in range(1, per_ln + 1))
        ln0 = f"""          <LN0 lnClass="LLN0" inst="" lnType="LLN0">
            <DataSet name="Big">
{members}            </DataSet>
            <ReportControl name="urcbBig" rptID="Big" datSet="Big" confRev="1" buffered="false" bufTime="0">
              <TrgOps dchg="true" qchg="true" gi="true"/>
              <OptFields seqNum="true" dataSet="true" reasonCode="true"/>
              <RptEnabled max="2"/>
            </ReportControl>
          </LN0>
"""
    value = "" if initial is None else f"<Val>{initial}</Val>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SCL xmlns="http://www.iec.ch/61850/2003/SCL" version="2007" revision="B">
  <IED name="LOAD">
    <AccessPoint name="AP1">
      <Server>
        <LDevice inst="Plant">
{ln0}{instances}        </LDevice>
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
      <BDA name="f" bType="FLOAT32">{value}</BDA>
    </DAType>
  </DataTypeTemplates>
</SCL>
"""


def config(icd_path: str, modbus_ports: list[int], mms_port: int, lns: int, per_ln: int, per_device: int) -> str:
    lines = [f"model: {{scl: {icd_path}}}", f"server: {{port: {mms_port}, bind: 127.0.0.1}}", "modbus:"]
    for index, port in enumerate(modbus_ports):
        lines += [f"  - name: sim{index}", f"    tcp: 127.0.0.1:{port}", "    timeout-ms: 1000"]
    lines.append("points:")
    point = 0
    for n in range(1, lns + 1):
        for k in range(1, per_ln + 1):
            lines.append(f"  - ref: Plant/GGIO{n}.AnIn{k}")
            lines.append(f"    modbus: {{device: sim{point // per_device}, table: input, address: {point % per_device}, type: uint16}}")
            lines.append("    scale: 0.1")
            point += 1
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
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--change", type=float, default=0.1, help="share of the points changed each second")
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    per_ln = 100
    lns = max(1, args.points // per_ln)
    per_device = -(-lns * per_ln // args.devices)
    if per_device > 10000:
        print("a simulated device has 10,000 input registers: use more --devices", file=sys.stderr)
        return 2
    for tool in ("iec61850-gateway", "modbus-simulator"):
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            print(f"build first: swift build -c release --product {tool}", file=sys.stderr)
            return 2
    folder = tempfile.mkdtemp(prefix="gateway-load-")
    icd_path = os.path.join(folder, "load.icd")
    with open(icd_path, "w") as f:
        f.write(icd(lns, per_ln))
    modbus_ports = [free_port() for _ in range(args.devices)]
    mms_port = free_port()
    with open(os.path.join(folder, "load.yaml"), "w") as f:
        f.write(config(icd_path, modbus_ports, mms_port, lns, per_ln, per_device))
    simulators = [subprocess.Popen([os.path.join(BIN, "modbus-simulator"), "--port", str(port)],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
                  for port in modbus_ports]
    time.sleep(0.5)
    started = time.monotonic()
    gateway = subprocess.Popen([os.path.join(BIN, "iec61850-gateway"), "run", "--config", os.path.join(folder, "load.yaml"),
                                "--log-level", "warning", "--event-log", os.environ.get("EVENT_LOG", os.path.join(folder, "events.sqlite"))], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        startup = None
        while time.monotonic() - started < 60 and gateway.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", mms_port), timeout=0.2).close()
                startup = time.monotonic() - started
                break
            except OSError:
                time.sleep(0.02)
        if startup is None:
            print(gateway.stderr.read() if gateway.poll() is not None else "the gateway did not listen within 60 s", file=sys.stderr)
            return 1
        time.sleep(5)  # the first polls
        points = lns * per_ln
        changes = int(points * args.change)
        cpu0, _ = proc_stat(gateway.pid)
        start = time.monotonic()
        peak_rss = 0
        while time.monotonic() - start < args.seconds:
            for _ in range(changes):
                point = random.randrange(points)
                simulators[point // per_device].stdin.write(f"set input {point % per_device} uint16 {random.randrange(65536)}\n")
            for simulator in simulators:
                simulator.stdin.flush()
            time.sleep(1)
            peak_rss = max(peak_rss, proc_stat(gateway.pid)[1])
        elapsed = time.monotonic() - start
        cpu1, rss = proc_stat(gateway.pid)
        parts = memory(gateway.pid)
        print(f"{points} Modbus points on {args.devices} device(s) polled every 1000 ms ({changes} changing a second), {elapsed:.0f} s measured")
        print(f"start-up until the MMS port accepts: {startup:.2f} s")
        print(f"gateway CPU: {100 * (cpu1 - cpu0) / elapsed:.1f} % of one core; resident memory {rss / 1024:.1f} MiB (peak {peak_rss / 1024:.1f} MiB;"
              f" heap and stacks {parts['RssAnon'] / 1024:.1f} MiB, code pages {parts['RssFile'] / 1024:.1f} MiB)")
        return 0
    finally:
        for process in [gateway] + simulators:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
