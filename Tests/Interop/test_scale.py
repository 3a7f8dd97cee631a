"""Scale (issue 17): the 100,000-point model browsed and read by both IEC 61850 client libraries, a GI of
a data set of 1,000 members, and one IED picked out of an SCD of many.

The model is the one Benchmarks/gateway_modbus_load.py polls at 100,000 points: logical device
LOADPlant with 1,000 GGIO logical nodes of 100 MV data objects each (AnIn1..100: mag.f, q, t), about
500,000 MMS variable names, plus a data set Big in LLN0 of 1,000 members (GGIO1..10, AnIn1..100 at FC
MX) with an unbuffered report control block urcbBig. The gateway (.build/debug/iec61850-gateway run
--scl) serves it on a free port on 127.0.0.1.

What is checked, with each client library (libIEC61850 through pyiec61850-ng, and the Rust iec61850):
  - browsing: the logical device, its 1,001 logical nodes (both clients page through every variable
    name of the domain with GetNameList continueAfter to list them), the 100 data objects of the last
    GGIO, and reads of points at the start, the middle and the end of the model;
  - a GI of urcbBig: with the client's default PDU size one report of all 1,000 members; with a PDU of
    8,000 octets the same GI split into segments (SubSeqNum 0, 1, … and MoreSegmentsFollow where the
    client exposes them) that carry every member exactly once under one SqNum;
  - an SCD of 30 IEDs (Benchmarks/make_scd.py): --ied IED17 serves IED17's logical devices; a name
    that is not in the file is refused at start with the names it has.

Run (needs .build/debug/iec61850-gateway; about a minute):
    python3 -m pytest Tests/Interop/test_scale.py -q
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from clients import CLIENTS
from conftest import REPO, Checker, Server, _free_port, _stop_server, run_client
from test_reports import brief

GATEWAY = os.path.join(REPO, ".build", "debug", "iec61850-gateway")
LD = "LOADPlant"
LNS, PER_LN = 1000, 100  # 100,000 MV data objects
BIG_LNS = 10  # the data set Big: GGIO1..10, AnIn1..100: 1,000 members
URCB = f"{LD}/LLN0.RP.urcbBig01"
SEGMENT_PDU = 8000
START_LIMIT = 180.0  # s: the debug build takes a while to load 100,000 data objects
SESSION = 240.0  # s: hard limit of one client session (browsing pages through 500,000 names)

clients = pytest.mark.parametrize("kind", list(CLIENTS))


def icd() -> str:
    sys.path.insert(0, os.path.join(REPO, "Benchmarks"))
    from gateway_modbus_load import icd as load_icd

    return load_icd(LNS, PER_LN, data_set_lns=BIG_LNS, initial=1.5)


def start(arguments: list[str]) -> Server:
    port = _free_port()
    command = [GATEWAY, "run", *arguments, "--port", str(port), "--bind", "127.0.0.1", "--event-log", "none",
               "--log-level", "warning"]
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    proc = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    deadline = time.monotonic() + START_LIMIT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the gateway exited with {proc.returncode} before accepting: {command}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Server(proc, "127.0.0.1", port, None)
        except OSError:
            if time.monotonic() > deadline:
                _stop_server(proc)
                pytest.fail(f"the gateway did not accept within {START_LIMIT} s: {command}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def large():
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "load.icd")
        with open(path, "w", encoding="utf-8") as f:
            f.write(icd())
        started = time.monotonic()
        srv = start(["--scl", path])
        print(f"\n100,000-point model (debug build) accepting after {time.monotonic() - started:.1f} s", file=sys.stderr)
        try:
            yield srv
        finally:
            _stop_server(srv.proc)


@clients
def test_browse_and_read_the_whole_model(large, kind):
    def body(c):
        c.connect(large.host, large.port)
        started = time.monotonic()
        devices = c.logical_devices()
        nodes = c.logical_nodes(LD)
        browse = time.monotonic() - started
        objects = c.data_objects(f"{LD}/GGIO{LNS}")
        values = {ref: c.read(ref, "MX") for ref in
                  (f"{LD}/GGIO1.AnIn1.mag.f", f"{LD}/GGIO500.AnIn50.mag.f", f"{LD}/GGIO{LNS}.AnIn{PER_LN}.mag.f")}
        return devices, nodes, objects, values, browse

    devices, nodes, objects, values, browse = run_client(kind, large, body, connect=False, timeout=SESSION)
    print(f"\n{kind}: logical device directory of {len(nodes)} logical nodes in {browse:.1f} s", file=sys.stderr)
    ck = Checker()
    ck.check(LD in devices, "scale:browse", f"logical devices {devices}")
    expected = {"LLN0"} | {f"GGIO{n}" for n in range(1, LNS + 1)}
    ck.check(len(nodes) == len(expected) and set(nodes) == expected, "scale:browse",
             f"{len(nodes)} logical nodes (expected {len(expected)}); missing {sorted(expected - set(nodes))[:5]}, "
             f"unexpected {sorted(set(nodes) - expected)[:5]}")
    ck.check(sorted(objects) == sorted(f"AnIn{k}" for k in range(1, PER_LN + 1)), "scale:browse",
             f"data objects of GGIO{LNS}: {len(objects)}: {objects[:5]}…")
    for ref, value in values.items():
        ck.check(abs(float(value) - 1.5) < 1e-6, "scale:read", f"{ref} = {value!r}, expected 1.5")
    ck.finish()


def gi(kind: str, srv: Server, pdu: int | None):
    def body(c):
        if pdu is not None:
            c.local_max_pdu = pdu
        c.connect(srv.host, srv.port)
        c.subscribe(URCB, "Big")
        c.set_rcb(URCB, RptEna=True)
        c.trigger_gi(URCB)
        deadline = time.monotonic() + 30
        reports = []
        while time.monotonic() < deadline:
            reports = c.wait_reports(1, 1.0)
            covered = sum(len(r["included"]) for r in reports)
            if covered >= BIG_LNS * PER_LN and (not reports or not reports[-1]["more_segments"]):
                break
            time.sleep(0.05)
        time.sleep(0.3)  # anything more would be a duplicate
        reports = c.take_reports()
        c.set_rcb(URCB, RptEna=False)
        return reports

    return run_client(kind, srv, body, connect=False, timeout=SESSION)


@clients
@pytest.mark.parametrize("pdu", [None, SEGMENT_PDU], ids=["default-pdu", f"pdu-{SEGMENT_PDU}"])
def test_gi_of_a_thousand_members(large, kind, pdu):
    reports = gi(kind, large, pdu)
    ck = Checker()
    members = BIG_LNS * PER_LN
    covered = sorted(i for r in reports for i in r["included"])
    ck.check(covered == list(range(members)), "scale:gi",
             f"members carried: {len(covered)} ({len(set(covered))} distinct), expected 0..{members - 1} once each")
    ck.check(len({r["seq"] for r in reports}) == 1, "scale:gi", f"SqNum of the parts {[r['seq'] for r in reports]}, expected one")
    ck.check(all(r["reasons"].get(i) == ["gi"] for r in reports for i in r["included"]), "scale:gi",
             "every member included for reason gi")
    wrong = [(i, v) for r in reports for i, v in r["values"].items() if not (isinstance(v, list) and v and abs(float(v[0][0] if isinstance(v[0], list) else v[0]) - 1.5) < 1e-6)]
    ck.check(not wrong, "scale:gi", f"members whose mag.f is not 1.5: {wrong[:3]}")
    if pdu is None:
        ck.check(len(reports) == 1, "scale:gi", f"with a PDU of 65,000 octets one report, got {len(reports)}: {brief(reports)}")
    else:
        ck.check(len(reports) >= 3, "scale:gi", f"with a PDU of {pdu} octets segments, got {len(reports)}")
        if reports and reports[0]["sub_seq"] is not None:
            ck.check([r["sub_seq"] for r in reports] == list(range(len(reports))), "scale:gi",
                     f"SubSeqNum {[r['sub_seq'] for r in reports]}")
            ck.check([r["more_segments"] for r in reports] == [True] * (len(reports) - 1) + [False], "scale:gi",
                     f"MoreSegmentsFollow {[r['more_segments'] for r in reports]}")
    ck.finish()


@pytest.fixture(scope="module")
def station():
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "station.scd")
        subprocess.run([sys.executable, os.path.join(REPO, "Benchmarks", "make_scd.py"), "--ieds", "30", "--out", path],
                       check=True, capture_output=True)
        yield path


@clients
def test_one_ied_of_an_scd(station, kind):
    srv = start(["--scl", station, "--ied", "IED17"])
    try:
        devices = run_client(kind, srv, lambda c: (c.connect(srv.host, srv.port), c.logical_devices())[1], connect=False)
    finally:
        _stop_server(srv.proc)
    assert sorted(devices) == ["IED17GenericIO", "IED17Measurement"]


def test_an_ied_not_in_the_scd_is_refused(station):
    result = subprocess.run([GATEWAY, "run", "--scl", station, "--ied", "IED99", "--port", str(_free_port()),
                             "--bind", "127.0.0.1", "--event-log", "none"],
                            capture_output=True, text=True, timeout=60, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))
    assert result.returncode != 0
    assert "no IED named 'IED99'" in result.stderr and "the file has: 30 IEDs: IED1, IED2" in result.stderr, result.stderr
