"""The gateway's log as JSON lines (`run --log-format json`), for log collectors: every line one JSON object
with time, level, label, message and source, metadata as an object of strings."""

from __future__ import annotations

import json
import subprocess
import time

from conftest import REPO, SCL, _free_port
from test_gateway_modbus import GATEWAY


def test_json_log_lines_parse_and_carry_their_fields():
    port = _free_port()
    proc = subprocess.Popen(
        [GATEWAY, "run", "--scl", SCL, "--port", str(port), "--bind", "127.0.0.1", "--event-log", "none", "--log-format", "json"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if '"listening"' in line:
                break
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
        lines += rest.splitlines(keepends=True)
    records = [json.loads(line) for line in lines if line.strip()]
    assert records, "no log lines"
    for record in records:
        assert {"time", "level", "label", "message", "source"} <= record.keys(), record
        assert record["time"].endswith("Z") and "T" in record["time"], record
        assert isinstance(record.get("metadata", {}), dict), record
    listening = [r for r in records if r["message"] == "listening"]
    assert listening and listening[0]["metadata"]["protocol"] == "MMS" and listening[0]["label"] == "iec61850.server", records
    assert any(r["message"] == "stopped" for r in records), "no 'stopped' line after SIGTERM"


def test_an_unknown_log_format_is_refused():
    out = subprocess.run([GATEWAY, "run", "--scl", SCL, "--log-format", "xml"], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--log-format must be text or json" in out.stderr, out.stderr


def test_version_is_printed():
    import os
    import re
    out = subprocess.run([GATEWAY, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+\n", out.stdout), out
    source = open(os.path.join(REPO, "Sources", "iec61850-gateway", "GatewayVersion.swift")).read()
    assert f'"{out.stdout.strip()}"' in source
