"""tshark decodes captured traffic of a client session with our server without malformed or error marks.

Captures on the loopback interface, filtered to the server's port, while both independent clients
associate, browse, read and write; then tshark decodes the capture as TPKT/COTP/session/presentation/
ACSE/MMS (a non-standard port needs `-d tcp.port==PORT,tpkt`) and must mark nothing malformed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from clients import CLIENTS
from conftest import _start_server, _stop_server, run_client

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None and not os.environ.get("CI"), reason="tshark is not installed (scripts/test installs it)")


def _session(client) -> int:
    count = 0
    for ld in client.logical_devices():
        for ln in client.logical_nodes(ld):
            client.data_objects(f"{ld}/{ln}")
            count += 1
    client.read("DEMOGenericIO/GGIO2.AllTypes.f64Mx", "MX")
    client.read("DEMOGenericIO/GGIO1", "ST")
    client.write("DEMOGenericIO/GGIO2.AllTypes.setVal", "SP", 7, "int32")
    try:
        client.write("DEMOGenericIO/GGIO1.Ind1.stVal", "ST", True, "bool")
    except Exception:  # refused, as it must be
        pass
    return count


def test_tshark_decodes_our_traffic_without_malformed_marks():
    assert TSHARK is not None, "tshark is required in CI"
    server = _start_server(None)
    workdir = tempfile.mkdtemp(prefix="iec61850-capture-")
    capture = os.path.join(workdir, "session.pcapng")
    sniffer = subprocess.Popen(
        [TSHARK, "-i", "lo", "-f", f"tcp port {server.port}", "-w", capture, "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        # tshark says "Capturing on ..." on stderr once the capture runs.
        deadline = time.monotonic() + 20
        line = b""
        while b"Capturing on" not in line:
            if sniffer.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tshark did not start capturing: {sniffer.stderr.read().decode(errors='replace') if sniffer.poll() is not None else 'timeout'}")
            line = sniffer.stderr.readline()
        for kind in CLIENTS:
            assert run_client(kind, server, _session, timeout=60) > 0
        time.sleep(0.5)
    finally:
        os.killpg(sniffer.pid, signal.SIGINT)
        try:
            sniffer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(sniffer.pid, signal.SIGKILL)
            sniffer.wait(timeout=5)
        _stop_server(server.proc)

    decode = [TSHARK, "-r", capture, "-d", f"tcp.port=={server.port},tpkt"]
    frames = subprocess.run(decode + ["-Y", "mms", "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, timeout=60, check=True)
    mms_frames = [f for f in frames.stdout.split() if f]
    assert len(mms_frames) > 20, f"tshark decoded only {len(mms_frames)} MMS frames"
    bad = subprocess.run(
        decode + ["-Y", "_ws.malformed || _ws.expert.severity >= error", "-T", "fields", "-e", "frame.number", "-e", "_ws.col.info"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert bad.stdout.strip() == "", f"tshark marked frames malformed or in error:\n{bad.stdout}"
    shutil.rmtree(workdir, ignore_errors=True)
