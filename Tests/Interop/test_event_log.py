"""The event log and the IEC 61850 log service through the gateway (issue 6, "How we know it works").

Each test starts the bundled Modbus simulator and `iec61850-gateway run --config FILE --event-log
tmp/events.sqlite` on the demo IED, whose LLN0 of GenericIO has two log control blocks writing one log,
LLN0$EventLog: EventLog over the data set Events (Ind1..4 stVal and q) and CommandLog over Commands
(SPCSO1..4 stVal). Ind1 follows coil 5 of the simulator; SPCSO1 is routed to coil 12 and confirmed by it.

With each client library (libIEC61850 through pyiec61850-ng, and the Rust iec61850):
  - the log control block reads as configured (LogEna, LogRef, DatSet) and NewEntr/OldEntr move;
  - a value change at the device (Ind1) and a control (SPCSO1 on, confirmed by the device) produce log
    entries, found by QueryLogByTime and by QueryLogAfter (strictly after the entry given);
  - after a restart of the gateway on the same database the same entries are still there;
  - `iec61850-gateway events` lists the command (client, origin, ctlNum, value, result), the value
    change, the associations and the device's communication loss, as text, CSV and JSON.
A refused association (wrong password, libIEC61850 only: the Rust client sends no password) is
listed with the peer's address.

Run (needs .build/debug/iec61850-gateway and modbus-simulator; about 20 s):
    python3 -m pytest Tests/Interop/test_event_log.py -q
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time

import pytest

from clients import CLIENTS, ClientError
from conftest import REPO, SCL, Checker, _free_port, _stop_server, run_client, wait_for
from test_gateway_modbus import GATEWAY, Simulator, start_gateway, tail

LOG = "DEMOGenericIO/LLN0$EventLog"
LCB = "DEMOGenericIO/LLN0.EventLog"
SPC1 = "DEMOGenericIO/GGIO1.SPCSO1"
IND1_TAG = "DEMOGenericIO/GGIO1$ST$Ind1$stVal"
SPC1_TAG = "DEMOGenericIO/GGIO1$ST$SPCSO1$stVal"
SESSION = 30.0

CONFIG = """\
model: {{scl: {scl}}}
server: {{password-env: {password}}}
modbus:
  - name: dev
    tcp: 127.0.0.1:{port}
    timeout-ms: 200
    retry-ms: 300
points:
  - ref: GenericIO/GGIO1.Ind1
    poll-ms: 100
    modbus: {{device: dev, table: coil, address: 5}}
  - ref: GenericIO/GGIO1.SPCSO1
    poll-ms: 100
    modbus: {{device: dev, table: coil, address: 12}}
    control:
      modbus: {{device: dev, table: coil, address: 12}}
      confirm-ms: 2000
"""


@pytest.fixture()
def logged_gateway(tmp_path):
    """(start, simulator, events path): start() starts (or restarts) the gateway on the same database."""
    sim = Simulator(_free_port(), str(tmp_path / "simulator.log"))
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.format(scl=SCL, port=sim.port, password="''").replace("server: {password-env: ''}\n", ""))
    running = []

    def start():
        for gw in running:
            _stop_server(gw.proc)
        running.clear()
        running.append(start_gateway(config, tmp_path))
        return running[0]

    try:
        yield start, sim, str(tmp_path / "events.sqlite")
    finally:
        for gw in running:
            _stop_server(gw.proc)
        sim.stop()
        print(f"--- gateway log ({tmp_path}) ---\n{tail(str(tmp_path / 'gateway.log'))}")


def events(path: str, *args: str) -> str:
    out = subprocess.run([GATEWAY, "events", "--event-log", path, *args], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"iec61850-gateway events {' '.join(args)} failed: {out.stderr}"
    return out.stdout



def tags(entries) -> list[str]:
    return [tag for e in entries for (tag, _, _) in e["variables"]]


@pytest.mark.parametrize("kind", list(CLIENTS))
def test_log_entries_from_values_and_controls_survive_a_restart(logged_gateway, kind):
    start, sim, path = logged_gateway
    gw = start()
    t0 = int(time.time() * 1000) - 2000
    time.sleep(0.3)  # the first polls: Ind1 and SPCSO1 take their initial values
    sim.set("set coil 5 bool true")

    def body(c):
        r = {}
        for attribute in ("LogEna", "LogRef", "DatSet", "NewEntr", "OldEntr"):
            try:
                r[attribute] = c.read(f"{LCB}.{attribute}", "LG")
            except ClientError as e:
                r[attribute] = f"error {e}"
        r["byTime0"] = wait_for(lambda: (lambda q: q if IND1_TAG in tags(q[0]) else None)(c.query_log_by_time(LOG, t0, int(time.time() * 1000) + 5000)))
        r["operate"] = c.operate(SPC1, True)
        r["byTime"] = wait_for(lambda: (lambda q: q if SPC1_TAG in tags(q[0]) else None)(c.query_log_by_time(LOG, t0, int(time.time() * 1000) + 5000)))
        entries = (r["byTime"] or ([], None))[0]
        if entries:
            first = entries[0]
            r["after"] = c.query_log_after(LOG, first["id"], first["time_ms"])
            r["first"] = first
        r["NewEntr2"] = c.read(f"{LCB}.NewEntr", "LG")
        return r

    r = run_client(kind, gw, body, timeout=SESSION)
    ck = Checker()
    ck.check(r["LogEna"] is True, "log:lcb", f"LogEna {r['LogEna']!r}, expected True")
    ck.check(r["LogRef"] == LOG, "log:lcb", f"LogRef {r['LogRef']!r}, expected {LOG}")
    ck.check(r["DatSet"] == "DEMOGenericIO/LLN0$Events", "log:lcb", f"DatSet {r['DatSet']!r}")
    ck.check(isinstance(r["NewEntr"], (bytes, bytearray)) and len(r["NewEntr"]) == 8, "log:lcb", f"NewEntr {r['NewEntr']!r}")
    ck.check(r["byTime0"] is not None, "log:by-time", "no entry for Ind1's change (QueryLogByTime)")
    ck.check(r["operate"]["ok"], "log:control", f"SPCSO1 on failed: {r['operate']}")
    ck.check(r["byTime"] is not None, "log:by-time", "no entry for SPCSO1's status after the control (QueryLogByTime)")
    if r["byTime"]:
        entries = r["byTime"][0]
        ids = [e["id"] for e in entries]
        ck.check(ids == sorted(ids) and len(set(ids)) == len(ids), "log:by-time", f"entry ids not increasing: {ids}")
        ind1 = [v for e in entries for v in e["variables"] if v[0] == IND1_TAG]
        ck.check(any(reason == 0x40 for (_, _, reason) in ind1), "log:reason", f"Ind1 entries without dchg reason: {ind1}")
        ck.check(int.from_bytes(r["NewEntr2"], "big") >= max(ids), "log:lcb", f"NewEntr {r['NewEntr2']!r} below the newest entry {max(ids)}")
        after, _ = r["after"]
        ck.check([e["id"] for e in after] == [i for i in ids if i > r["first"]["id"]], "log:after",
                 f"QueryLogAfter {r['first']['id']}: {[e['id'] for e in after]}, expected {[i for i in ids if i > r['first']['id']]}")

    # the same entries after a restart on the same database
    gw = start()
    again = run_client(kind, gw, lambda c: c.query_log_by_time(LOG, t0, int(time.time() * 1000) + 5000), timeout=SESSION)
    if r["byTime"]:
        before_ids = [e["id"] for e in r["byTime"][0]]
        after_ids = [e["id"] for e in again[0]]
        ck.check(after_ids[: len(before_ids)] == before_ids, "log:restart", f"after a restart: {after_ids}, expected to start with {before_ids}")
        ck.check(tags(again[0])[: len(tags(r["byTime"][0]))] == tags(r["byTime"][0]), "log:restart", "entries changed across a restart")

    # the gateway's own event log: the command, the value change, the associations, the device's loss
    sim.stop()
    listed = wait_for(lambda: (lambda t: t if "communication" in t and "down" in t else None)(events(path, "--kind", "communication")))
    ck.check(listed is not None and "modbus dev" in listed, "events:communication", f"no 'modbus dev' down event: {listed!r}")
    commands = json.loads(events(path, "--kind", "command", "--format", "json"))
    mine = [e for e in commands if e["reference"] == "GenericIO/GGIO1.SPCSO1"]
    ck.check(len(mine) == 1, "events:command", f"commands listed: {commands}")
    if mine:
        e = mine[0]
        ck.check(e.get("result") == "success" and e.get("value") == "true" and e.get("client", "").startswith("127.0.0.1:")
                 and "ctlNum" in e and e.get("detail") == "Oper" and ":" in e.get("origin", ""), "events:command", f"command event {e}")
    rows = list(csv.DictReader(io.StringIO(events(path, "--reference", "GenericIO/GGIO1.Ind1", "--format", "csv"))))
    ck.check(any(row["kind"] == "value" and row["value"] == "true" for row in rows), "events:value", f"Ind1 value events: {rows}")
    associations = events(path, "--kind", "association")
    ck.check(associations.count("connected") >= 2 and "disconnected" in associations, "events:association", associations)
    # Relative times as the README writes them: a leading minus, not --from=-10m.
    recent = json.loads(events(path, "--kind", "association", "--from", "-10m", "--format", "json"))
    every = json.loads(events(path, "--kind", "association", "--format", "json"))
    ck.check(recent == every and every, "events:relative", f"--from -10m listed {len(recent)} of {len(every)} association events")
    older = json.loads(events(path, "--kind", "association", "--to", "-10m", "--format", "json"))
    ck.check(older == [], "events:relative", f"--to -10m listed events of the last minutes: {older}")
    ck.finish()


def test_bad_passwords_in_a_loop_lock_the_address_out_and_are_security_events(tmp_path):
    """Eight wrong passwords: five are security events, then the address is locked out (one more event,
    not one per attempt), and while it is, even the right password is refused."""
    sim = Simulator(_free_port(), str(tmp_path / "simulator.log"))
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.format(scl=SCL, port=sim.port, password="EVENT_LOG_PASSWORD"))
    gw = start_gateway(config, tmp_path, env_extra={"EVENT_LOG_PASSWORD": "right-one"})
    try:
        def attempt(password):
            def body(c):
                try:
                    c.connect(gw.host, gw.port, password)
                    return "connected"
                except ClientError as e:
                    return e.kind
            return run_client("libiec61850", gw, body, connect=False, timeout=SESSION)

        assert [attempt("wrong-one") for _ in range(8)] == ["connect"] * 8
        assert attempt("right-one") == "connect", "the right password was taken from a locked-out address"
        path = str(tmp_path / "events.sqlite")
        listed = wait_for(lambda: (lambda t: t if "more after failed passwords" in t else None)(events(path, "--kind", "security")))
        assert listed, events(path, "--kind", "security")
        lines = [line for line in listed.splitlines() if line.strip()]
        assert all("client=127.0.0.1:" in line for line in lines), listed
        assert sum("wrong password" in line for line in lines) == 5, listed
        assert sum("locked out for" in line and "wrong password" not in line for line in lines) == 1, listed
    finally:
        _stop_server(gw.proc)
        sim.stop()


def test_gateway_killed_under_load_keeps_every_committed_event(logged_gateway):
    """The gateway logs value changes of a coil that toggles every 20 ms; three times over it is killed
    with SIGKILL right after `events` listed what is committed, and restarted on the same database:
    every event listed before a kill is there afterwards, and the file passes integrity_check."""
    import signal
    import sqlite3
    import threading

    start, sim, path = logged_gateway
    listed: dict[int, tuple] = {}
    for _ in range(3):
        gw = start()
        stop = threading.Event()

        def toggle():
            value = True
            while not stop.is_set():
                sim.set(f"set coil 5 bool {'true' if value else 'false'}")
                value = not value
                time.sleep(0.02)

        feeder = threading.Thread(target=toggle)
        feeder.start()
        try:
            time.sleep(1.5)
            rows = json.loads(events(path, "--format", "json"))
            os.killpg(gw.proc.pid, signal.SIGKILL)  # mid-stream: the feeder is still toggling
            gw.proc.wait(timeout=5)
        finally:
            stop.set()
            feeder.join()
        assert rows, "no events were committed under load"
        for row in rows:
            listed[row["id"]] = (row["kind"], row["reference"], row.get("value") or None, row["timeMs"])
    database = sqlite3.connect(path)
    try:
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0]: row[1:] for row in database.execute("SELECT id, kind, reference, value, time_ms FROM events")}
    finally:
        database.close()
    missing = [event_id for event_id in listed if event_id not in stored]
    assert not missing, f"{len(missing)} events listed as committed are gone after a kill: {missing[:10]}"
    changed = [event_id for event_id, row in listed.items() if stored[event_id] != row]
    assert not changed, f"events changed after a kill: {changed[:10]}"
