"""The operations side over HTTP (README, "Operations over HTTP"), against the bundled Modbus simulator,
a real mosquitto broker and both PyPI clients:

- /api/health, /api/points, /api/devices, /api/associations and /api/events say what the gateway serves,
  which devices answer, who is associated (with the report control blocks they enabled) and what happened;
- /metrics parses with the Prometheus project's own text parser (prometheus-client) and its counters move
  with what the clients do (MMS requests by service, reports sent, control outcomes by AddCause);
- /api/stream (Server-Sent Events) sends the points first and then what changes;
- with access rules, HTTP needs a password of those rules; a device's death shows everywhere.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from clients import CLIENTS
from conftest import SCL, _free_port, _stop_server, run_client
from test_gateway_modbus import GATEWAY, Simulator, start_gateway, tail
from test_gateway_mqtt import MOSQUITTO, Broker

prometheus_parser = pytest.importorskip("prometheus_client.parser")

clients = pytest.mark.parametrize("kind", list(CLIENTS))

CONFIG = """\
model: {{scl: {scl}}}
http: {{port: {http}, bind: 127.0.0.1}}
modbus:
  - name: meter
    tcp: 127.0.0.1:{modbus}
    timeout-ms: 200
    retry-ms: 300
mqtt: {{url: "mqtt://127.0.0.1:{mqtt}", client-id: http-test}}
points:
  - ref: Measurement/MMXU1.TotW
    poll-ms: 100
    modbus: {{device: meter, table: input, address: 52, type: float32}}
  - ref: GenericIO/GGIO1.IntIn1
    poll-ms: 100
    modbus: {{device: meter, table: holding, address: 102, type: uint32}}
  - ref: GenericIO/GGIO1.SPCSO1
    poll-ms: 100
    modbus: {{device: meter, table: coil, address: 12}}
    control: {{modbus: {{device: meter, table: coil, address: 12}}, confirm-ms: 2000}}
  - ref: GenericIO/GGIO1.AnIn1
    mqtt: {{topic: plant/temperature, value: value}}
{access}"""

ACCESS = """\
server:
  access:
    default-role: none
    passwords:
      - {{hash: "{viewer}", role: viewer}}
      - {{hash: "{engineer}", role: engineer}}
"""


class HTTPGateway:
    def __init__(self, gw, http_port: int, sim: Simulator, broker: Broker, log: str) -> None:
        self.gw, self.http, self.sim, self.broker, self.log = gw, http_port, sim, broker, log
        self.host, self.port, self.password = "127.0.0.1", gw.port, None

    def get(self, path: str, password: str | None = None, method: str = "GET") -> tuple[int, bytes, dict]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", method=method)
        if password is not None:
            request.add_header("Authorization", "Basic " + base64.b64encode(f"any:{password}".encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        """POSTs a JSON body; (status, the JSON answer)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def json(self, path: str, password: str | None = None):
        status, body, _ = self.get(path, password)
        assert status == 200, f"GET {path}: {status} {body[:300]!r}"
        return json.loads(body)

    def wait(self, what: str, check, limit: float = 10.0):
        deadline = time.monotonic() + limit
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(0.1)
        pytest.fail(f"{what} within {limit} s; last: {last!r}\n--- gateway log ---\n{tail(self.log)}")


def hash_password(password: str) -> str:
    import subprocess
    out = subprocess.run([GATEWAY, "hash-password"], input=password, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def start(tmp_path, access: str = "") -> HTTPGateway:
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(f"{MOSQUITTO} is missing (Debian package mosquitto)")
    sim = Simulator(_free_port(), str(tmp_path / "simulator.log"))
    broker = Broker(tmp_path)
    http = _free_port()
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.format(scl=SCL, http=http, modbus=sim.port, mqtt=broker.port, access=access))
    try:
        gw = start_gateway(config, tmp_path)
    except BaseException:
        sim.stop()
        broker.kill()
        raise
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", http), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"no HTTP listener on {http}\n{tail(gw.log)}")
            time.sleep(0.05)
    return HTTPGateway(gw, http, sim, broker, gw.log)


@pytest.fixture()
def http_gateway(tmp_path):
    gateway = start(tmp_path)
    try:
        yield gateway
    finally:
        _stop_server(gateway.gw.proc)
        gateway.sim.stop()
        gateway.broker.kill()
        print(f"--- gateway log ---\n{tail(gateway.log)}")


def point(points: list, reference: str) -> dict:
    found = [p for p in points if p["reference"] == reference]
    assert found, f"{reference} not among {[p['reference'] for p in points]}"
    return found[0]


def test_health_points_devices_and_events(http_gateway):
    gw = http_gateway
    gw.sim.set("set input 52 float32 1234.5")
    gw.sim.set("set holding 102 uint32 70000")
    health = gw.json("/api/health")
    assert health["status"] == "ok" and health["ied"] == "DEMO" and health["points"] == 4, health
    points = gw.wait("the points show the simulator's values", lambda: (
        (ps := gw.json("/api/points")) and point(ps, "Measurement/MMXU1.TotW.mag.f")["value"] == 1234.5
        and point(ps, "GenericIO/GGIO1.IntIn1.stVal")["value"] == 70000 and ps))
    total = point(points, "Measurement/MMXU1.TotW.mag.f")
    assert total["quality"] == {"validity": "good", "detail": [], "text": "good"}, total
    assert total["source"] == "modbus meter" and total["address"] == "input 52 float32", total
    assert total["dataObject"] == "Measurement/MMXU1.TotW" and total["time"].endswith("Z") and total["changed"], total
    # The MQTT point has had no message: it is not good, and says so in words.
    devices = gw.wait("both sources listed, the meter up with a round trip", lambda: (
        (ds := gw.json("/api/devices")) and len(ds) == 2 and ds[0]["up"] and ds[0]["requests"] > 0 and ds))
    meter = [d for d in devices if d["kind"] == "modbus"][0]
    assert meter["source"] == "modbus meter" and meter["device"] == "meter" and meter["roundTripMs"] > 0, meter
    broker = [d for d in devices if d["kind"] == "mqtt"][0]
    gw.wait("the broker up", lambda: [d for d in gw.json("/api/devices") if d["kind"] == "mqtt"][0]["up"])
    assert broker["address"] == f"127.0.0.1:{gw.broker.port}", broker

    # The meter dies: the device turns down with its error, its points bad, and the event log says so.
    gw.sim.stop()
    gone = gw.wait("the meter down", lambda: (
        (ds := gw.json("/api/devices")) and not [d for d in ds if d["kind"] == "modbus"][0]["up"] and ds))
    meter = [d for d in gone if d["kind"] == "modbus"][0]
    assert meter["readErrors"] >= 1 and meter["lastError"], meter
    bad = point(gw.json("/api/points"), "Measurement/MMXU1.TotW.mag.f")
    assert bad["quality"]["validity"] == "invalid" and "failure" in bad["quality"]["detail"], bad
    assert bad["value"] == 1234.5, "the value stays the last good one"
    events = gw.wait("a communication event", lambda: gw.json("/api/events?from=-10m&kind=communication"))
    assert any(e["reference"] == "modbus meter" and e["result"] == "down" for e in events), events
    status, body, _ = gw.get("/api/events?from=yesterday")
    assert status == 400 and b"not a time" in body, body
    status, body, _ = gw.get("/api/events?kind=nonsense")
    assert status == 400 and b"kind" in body, body
    assert gw.json("/api/health")["devicesUp"] == 1  # the broker


@clients
def test_associations_show_peers_and_enabled_report_blocks(http_gateway, kind):
    gw = http_gateway
    url = f"http://127.0.0.1:{gw.http}/api/associations"

    def body(c):
        c.set_rcb("DEMOGenericIO/LLN0.RP.urcbEvents01", RptEna=True)
        deadline = time.monotonic() + 5
        while True:
            listed = json.loads(urllib.request.urlopen(url, timeout=5).read())
            if listed and listed[0]["reportControlBlocks"] or time.monotonic() > deadline:
                return listed

    listed = run_client(kind, gw, body, timeout=40)
    assert len(listed) == 1, listed
    association = listed[0]
    assert association["peer"].startswith("127.0.0.1:") and association["role"] == "unrestricted", association
    assert association["reportControlBlocks"] == ["DEMOGenericIO/LLN0.RP.urcbEvents01"], association
    gw.wait("the association gone once the client closed", lambda: gw.json("/api/associations") == [])
    events = gw.json("/api/events?from=-10m&kind=association")
    assert [e["result"] for e in events][-2:] == ["connected", "disconnected"], events


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample, through prometheus-client's own parser."""
    found = {}
    for family in prometheus_parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def metric(found: dict, name: str, **labels) -> float:
    key = (name, frozenset(labels.items()))
    assert key in found, f"{name}{labels} missing; have {sorted(k[0] for k in found)}"
    return found[key]


@clients
def test_metrics_parse_and_count_what_clients_do(http_gateway, kind):
    gw = http_gateway
    gw.wait("the meter answered", lambda: [d for d in gw.json("/api/devices") if d["kind"] == "modbus"][0]["requests"] > 2)
    status, text, headers = gw.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain"), headers
    before = samples(text.decode())
    assert metric(before, "gateway_link_up", device="meter", protocol="modbus") == 1
    assert metric(before, "gateway_request_duration_seconds_count", device="meter", protocol="modbus") > 0
    assert metric(before, "gateway_read_errors_total", device="meter", protocol="modbus") == 0
    assert metric(before, "gateway_points", validity="good") >= 3
    assert metric(before, "iec61850_associations") == 0
    assert metric(before, "gateway_event_log_committed_total") > 0
    reads_before = metric(before, "iec61850_mms_requests_total", service="read")

    def body(c):
        for _ in range(5):
            c.read("DEMOMeasurement/MMXU1.TotW.mag.f", "MX")
        during = urllib.request.urlopen(f"http://127.0.0.1:{gw.http}/metrics", timeout=5).read().decode()
        outcome = c.operate("DEMOGenericIO/GGIO1.SPCSO1", True)
        refused = c.operate("DEMOGenericIO/GGIO1.SPCSO2", True)  # SBO, operated without a select
        return during, outcome, refused

    during, outcome, refused = run_client(kind, gw, body, timeout=40)
    assert outcome["ok"], outcome
    assert not refused["ok"], refused
    during = samples(during)
    assert metric(during, "iec61850_mms_requests_total", service="read") >= reads_before + 5
    assert metric(during, "iec61850_associations") == 1
    after = gw.wait("the control outcomes counted", lambda: (
        (s := samples(gw.get("/metrics")[1].decode()))
        and ("iec61850_control_commands_total", frozenset({("service", "Oper"), ("result", "success")})) in s and s))
    assert metric(after, "iec61850_control_commands_total", service="Oper", result="success") == 1
    refusals = {dict(labels)["service"] + " " + dict(labels)["result"]: value for (name, labels), value in after.items()
                if name == "iec61850_control_commands_total" and dict(labels)["result"] != "success"}
    assert refusals == {"Oper objectNotSelected": 1}, refusals
    assert metric(after, "gateway_write_errors_total", device="meter", protocol="modbus") == 0


def test_reports_sent_are_counted(http_gateway):
    gw = http_gateway

    def body(c):
        urcb = "DEMOGenericIO/LLN0.RP.urcbEvents01"
        c.subscribe(urcb, c.rcb_values(urcb)["RptID"])
        c.set_rcb(urcb, RptEna=True)
        c.trigger_gi(urcb)
        c.wait_reports(1, 5)
        c.trigger_gi(urcb)
        return len(c.wait_reports(2, 5))

    got = run_client("libiec61850", gw, body, timeout=40)
    assert got >= 2
    found = samples(gw.get("/metrics")[1].decode())
    assert metric(found, "iec61850_reports_sent_total") >= got
    assert metric(found, "iec61850_reports_dropped_total") == 0


class EventStream:
    """A Server-Sent Events stream read by a thread of its own; take(limit) gives the (event, data) pairs
    that arrived within limit s."""

    def __init__(self, url: str) -> None:
        self.answer = urllib.request.urlopen(url, timeout=10)
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name = None
        try:
            for raw in self.answer:
                line = raw.decode()
                if line.startswith("event: "):
                    name = line[7:].strip()
                elif line.startswith("data: "):
                    self.queue.put((name, json.loads(line[6:])))
        except (OSError, ValueError, AttributeError):  # closed by close()
            return

    def take(self, limit: float) -> list:
        found, deadline = [], time.monotonic() + limit
        while (left := deadline - time.monotonic()) > 0:
            try:
                found.append(self.queue.get(timeout=left))
            except queue.Empty:
                break
        return found

    def close(self) -> None:
        self.answer.close()


def test_stream_sends_everything_then_changes(http_gateway):
    gw = http_gateway
    gw.sim.set("set input 52 float32 10.25")
    gw.wait("the first value", lambda: point(gw.json("/api/points"), "Measurement/MMXU1.TotW.mag.f")["value"] == 10.25)
    stream = EventStream(f"http://127.0.0.1:{gw.http}/api/stream")
    try:
        assert stream.answer.headers["Content-Type"] == "text/event-stream"
        first = stream.take(1.5)
        kinds = [name for name, _ in first]
        assert kinds[:3] == ["points", "devices", "associations"], kinds
        assert len(first[0][1]) == 4, "all points at first"
        gw.sim.set("set input 52 float32 99.5")
        later = stream.take(3)
    finally:
        stream.close()
    changes = [data for name, data in later if name == "points"]
    assert any(p["reference"] == "Measurement/MMXU1.TotW.mag.f" and p["value"] == 99.5 for batch in changes for p in batch), later
    assert all(len(batch) < 4 for batch in changes), "later batches carry only what changed"


def test_access_rules_apply_to_http(tmp_path):
    access = ACCESS.format(viewer=hash_password("viewer-pass"), engineer=hash_password("engineer-pass"))
    gw = start(tmp_path, access=access)
    try:
        status, _, headers = gw.get("/api/points")
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic"), (status, headers)
        assert gw.get("/api/points", password="wrong")[0] == 401
        assert gw.get("/api/points", password="viewer-pass")[0] == 200
        assert gw.get("/metrics", password="engineer-pass")[0] == 200
        status, body, _ = gw.get("/api/reload", password="viewer-pass", method="POST")
        assert status == 403 and b"engineer" in body, (status, body)
        status, body, _ = gw.get("/api/reload", password="engineer-pass", method="POST")
        assert status == 200 and json.loads(body)["applied"], (status, body)
    finally:
        _stop_server(gw.gw.proc)
        gw.sim.stop()
        gw.broker.kill()


def test_a_register_tested_from_the_command_line_and_over_http(http_gateway, tmp_path):
    from test_gateway_modbus import modbus_read
    import subprocess
    gw = http_gateway
    config = str(tmp_path / "gateway.yaml")
    gw.sim.set("set input 52 float32 230.5")
    gw.sim.set("set holding 102 uint32 70000")

    def cli(*args):
        done = subprocess.run([GATEWAY, "modbus", *args, "--config", config, "--device", "meter"], capture_output=True, text=True, timeout=30)
        return done.returncode, done.stdout + done.stderr

    code, out = cli("read", "--table", "input", "--address", "52", "--type", "float32")
    raw = modbus_read(gw.sim.port, "input", 52, 2)
    assert code == 0 and f"52-53  0x{raw[0]:04X} 0x{raw[1]:04X}  ({raw[0]} {raw[1]})  → 230.5" in out, out
    code, out = cli("read", "--table", "holding", "--address", "102", "--type", "uint32", "--count", "2")
    assert code == 0 and "→ 70000" in out and out.count("→") == 2, out
    code, out = cli("write", "--table", "holding", "--address", "200", "--type", "int16", "--value", "-2")
    assert code == 0 and modbus_read(gw.sim.port, "holding", 200) == [0xFFFE] and "→ -2" in out, out
    code, out = cli("write", "--table", "input", "--address", "200", "--value", "1")
    assert code != 0 and "cannot be written" in out and "Usage" in out, out
    code, out = cli("read", "--table", "holding", "--address", "0", "--type", "float32", "--count", "100")
    assert code != 0 and "at most 125" in out, out

    def probe(body):
        return gw.post("/api/modbus", body)

    status, answer = probe({"device": "meter", "table": "input", "address": 52, "type": "float32"})
    assert status == 200 and answer["registers"] == modbus_read(gw.sim.port, "input", 52, 2) and answer["values"] == [230.5], answer
    status, answer = probe({"device": "meter", "table": "coil", "address": 30, "value": "true"})
    assert status == 200 and answer["bits"] == [True] and modbus_read(gw.sim.port, "coil", 30) == [True], answer
    status, answer = probe({"device": "nobody", "table": "coil", "address": 30})
    assert status == 404 and "meter" in answer["error"]["message"], answer
    gw.sim.stop()
    status, answer = probe({"device": "meter", "table": "coil", "address": 30})
    assert status == 502 and "meter" in answer["error"]["message"], answer
    code, out = cli("read", "--table", "coil", "--address", "30")
    assert code != 0 and "meter:" in out and "Usage" not in out, out
