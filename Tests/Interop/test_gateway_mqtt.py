"""Gateway end to end over MQTT (issue 5): a real mosquitto broker, the gateway subscribing to it, and
both IEC 61850 client libraries reading and operating.

Each test starts its own mosquitto (Debian's, on a free 127.0.0.1 port, anonymous, killed with SIGKILL
to simulate a lost broker) and its own gateway (.build/debug/iec61850-gateway run --config FILE). The
test publishes with a minimal MQTT 3.1.1 client of its own (QoS 0) and plays the field device that
answers commands on a response topic.

Run (needs .build/debug/iec61850-gateway and /usr/sbin/mosquitto; about 20 s):
    python3 -m pytest Tests/Interop/test_gateway_mqtt.py -q
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from clients import CLIENTS
from conftest import SCL, Checker, _free_port, _stop_server, run_client
from test_gateway_modbus import start_gateway, tail, wait_accepting

MOSQUITTO = "/usr/sbin/mosquitto"
GEN, MEAS = "DEMOGenericIO", "DEMOMeasurement"

CONFIG = """
model: {{scl: {scl}}}
mqtt: {{url: "mqtt://127.0.0.1:{port}", client-id: interop-gateway, status-topic: gateway/status}}
points:
  - ref: Measurement/MMXU1.TotW
    mqtt: {{topic: plant/meter, value: data.power, time: ts}}
    scale: 1000
  - ref: GenericIO/GGIO1.Ind1
    mqtt: {{topic: plant/door/+}}
  - ref: GenericIO/GGIO1.SPCSO1
    mqtt: {{topic: plant/relay/state}}
    control:
      mqtt: {{topic: plant/relay/set, response: plant/relay/result}}
      confirm-ms: 2000
"""


class MiniMQTT:
    """A minimal MQTT 3.1.1 client (QoS 0): connect, publish, subscribe and read PUBLISH packets."""

    def __init__(self, port: int, client_id: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = client_id.encode()
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(cid)) + cid
        self.sock.sendall(self._packet(0x10, body))
        if self._read_packet()[0] & 0xF0 != 0x20:
            raise RuntimeError("no CONNACK")

    @staticmethod
    def _packet(kind: int, body: bytes) -> bytes:
        length, header = len(body), bytearray()
        while True:
            byte, length = length % 128, length // 128
            header.append(byte | (0x80 if length else 0))
            if not length:
                break
        return bytes([kind]) + bytes(header) + body

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _read_packet(self) -> tuple[int, bytes]:
        kind = self._read_exact(1)[0]
        length, shift = 0, 0
        while True:
            byte = self._read_exact(1)[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return kind, self._read_exact(length)

    def publish(self, topic: str, payload: bytes) -> None:
        t = topic.encode()
        self.sock.sendall(self._packet(0x30, struct.pack(">H", len(t)) + t + payload))

    def subscribe(self, topic: str) -> None:
        t = topic.encode()
        self.sock.sendall(self._packet(0x82, struct.pack(">H", 1) + struct.pack(">H", len(t)) + t + b"\x00"))
        while self._read_packet()[0] & 0xF0 != 0x90:
            pass

    def messages(self):
        """Yields (topic, payload) of incoming PUBLISH packets until the connection closes."""
        while True:
            try:
                kind, body = self._read_packet()
            except (OSError, ConnectionError):
                return
            if kind & 0xF0 == 0x30:
                n = struct.unpack(">H", body[:2])[0]
                yield body[2:2 + n].decode(), body[2 + n:]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Broker:
    def __init__(self, folder) -> None:
        self.port = _free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n")
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_accepting(self.proc, self.port, "mosquitto", limit=10)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


@pytest.fixture()
def mqtt_gateway(tmp_path):
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(f"{MOSQUITTO} is missing (Debian package mosquitto)")
    broker = Broker(tmp_path)
    gw = None
    try:
        config = tmp_path / "gateway.yaml"
        config.write_text(CONFIG.format(scl=SCL, port=broker.port))
        gw = start_gateway(config, tmp_path)
        yield gw, broker
    finally:
        if gw is not None:
            _stop_server(gw.proc)
        broker.kill()
        print(f"--- gateway log ---\n{tail(str(tmp_path / 'gateway.log'))}")


def publish_until(broker: Broker, topic: str, payload: bytes, check, limit: float = 10.0) -> bool:
    """Publishes every 200 ms until `check()` holds (the gateway may still be (re)subscribing)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            client = MiniMQTT(broker.port, f"publisher-{os.getpid()}")
            client.publish(topic, payload)
            client.close()
        except OSError:
            pass
        time.sleep(0.2)
        if check():
            return True
    return False


clients = pytest.mark.parametrize("kind", list(CLIENTS))


@clients
def test_mqtt_values_quality_and_broker_loss(mqtt_gateway, kind):
    gw, broker = mqtt_gateway

    def read(c, ref, fc):
        try:
            return c.read(ref, fc)
        except Exception as e:  # noqa: BLE001
            return f"error: {e}"

    # The broker is killed and restarted here, between client sessions: a forked client session cannot
    # wait for (or restart) a process the test started.
    def before(c):
        out = {}
        out["power"] = publish_until(broker, "plant/meter", b'{"data": {"power": 1.25}, "ts": 1700000000}',
                                     lambda: read(c, f"{MEAS}/MMXU1.TotW.mag.f", "MX") == 1250.0)
        out["q-good"] = read(c, f"{MEAS}/MMXU1.TotW.q", "MX")
        out["door"] = publish_until(broker, "plant/door/east", b"true", lambda: read(c, f"{GEN}/GGIO1.Ind1.stVal", "ST") is True)
        return out

    def lost(c):
        deadline, q = time.monotonic() + 5, None
        while time.monotonic() < deadline:  # until the gateway notices the lost broker
            q = read(c, f"{MEAS}/MMXU1.TotW.q", "MX")
            if q != good_quality and not str(q).startswith("error"):
                break
            time.sleep(0.1)
        return {"q-lost": q, "value-kept": read(c, f"{MEAS}/MMXU1.TotW.mag.f", "MX")}

    def after(c):
        recovered = publish_until(broker, "plant/meter", b'{"data": {"power": 2}}',
                                  lambda: read(c, f"{MEAS}/MMXU1.TotW.mag.f", "MX") == 2000.0, limit=40)
        return {"recovered": recovered, "q-back": read(c, f"{MEAS}/MMXU1.TotW.q", "MX")}

    o = run_client(kind, gw, before, timeout=60)
    good_quality = o["q-good"]
    broker.kill()
    o.update(run_client(kind, gw, lost, timeout=30))
    broker.start()
    o.update(run_client(kind, gw, after, timeout=60))
    ck = Checker()
    ck.check(o["power"], "mqtt:value", "TotW did not become 1250 (JSON path data.power, scale 1000)")
    ck.check(o["door"], "mqtt:wildcard", "Ind1 did not become true from plant/door/+")
    good = o["q-good"] in ("0000000000000", b"\x00\x00") or str(o["q-good"]).strip("0") == ""
    ck.check(good, "mqtt:quality", f"TotW.q while the broker is up: {o['q-good']!r}, expected good (all bits clear)")
    ck.check(o["q-lost"] != o["q-good"], "mqtt:broker-lost", f"TotW.q after the broker was killed: {o['q-lost']!r} (was {o['q-good']!r})")
    ck.check(o["value-kept"] == 1250.0, "mqtt:broker-lost", f"the last value is kept: {o['value-kept']!r}")
    ck.check(o["recovered"], "mqtt:recovery", "no new value after the broker came back (reconnect and resubscribe)")
    ck.check(o["q-back"] == o["q-good"], "mqtt:recovery", f"TotW.q after recovery: {o['q-back']!r}, expected {o['q-good']!r}")
    ck.finish()


def device(broker: Broker, stop: threading.Event) -> None:
    """The field device: answers commands on plant/relay/set; refuses value false with AddCause 10."""
    client = MiniMQTT(broker.port, "relay-device")
    client.subscribe("plant/relay/set")
    client.sock.settimeout(None)
    for topic, payload in client.messages():
        if stop.is_set():
            break
        command = json.loads(payload)
        answer = {"requestId": command["requestId"], "result": "ok"} if command["value"] is True else \
            {"requestId": command["requestId"], "result": "failed", "cause": 10}
        client.publish("plant/relay/result", json.dumps(answer).encode())
        if command["value"] is True:
            client.publish("plant/relay/state", b"true")
    client.close()


@clients
def test_mqtt_control_answered_by_the_device(mqtt_gateway, kind):
    gw, broker = mqtt_gateway
    stop = threading.Event()
    thread = threading.Thread(target=device, args=(broker, stop), daemon=True)
    thread.start()
    time.sleep(1.0)  # the device and the gateway subscribe

    def session(c):
        return {"on": c.operate(f"{GEN}/GGIO1.SPCSO1", True), "off": c.operate(f"{GEN}/GGIO1.SPCSO1", False)}

    o = run_client(kind, gw, session, timeout=60)
    stop.set()
    ck = Checker()
    ck.check(o["on"]["ok"], "mqtt:control", f"operate true (the device answers ok): {o['on']}")
    ck.check(not o["off"]["ok"], "mqtt:control-refused", f"operate false (the device answers failed, cause 10): {o['off']}")
    if kind == "libiec61850":
        ck.check(o["off"].get("add_cause") == 10, "mqtt:control-refused", f"AddCause of the refused command: {o['off']}")
    ck.finish()
