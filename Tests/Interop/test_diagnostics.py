"""The gateway's own health in the IEC 61850 model (the diagnostics LD): LPHD1.PhyHealth and one LCCH per
field connection, read and reported to both PyPI clients, turning bad and good with the Modbus simulator;
built for a model made from the points, exported by export-scl."""

from __future__ import annotations

import os
import select
import subprocess
import time

import pytest

from clients import CLIENTS
from conftest import _free_port, _stop_server, collect_client, spawn_client
from test_gateway_modbus import GATEWAY, Simulator, start_gateway, tail
from test_gateway_mqtt import MOSQUITTO, Broker

clients = pytest.mark.parametrize("kind", list(CLIENTS))

CONFIG = """\
model: {{ied: PLANT}}
modbus:
  - name: meter
    tcp: 127.0.0.1:{modbus}
    timeout-ms: 200
    retry-ms: 300
mqtt: {{url: "mqtt://127.0.0.1:{mqtt}", client-id: diagnostics-test}}
points:
  - ref: Meter/MMXU1.TotW
    cdc: MV
    poll-ms: 100
    modbus: {{device: meter, table: input, address: 52, type: float32}}
  - ref: Sensors/GGIO1.AnIn1
    cdc: MV
    mqtt: {{topic: plant/temperature}}
"""
DIAG = "PLANTDiag"
URCB = f"{DIAG}/LLN0.RP.urcbHealth01"
OK, WARNING, ALARM = 1, 2, 3


@pytest.fixture()
def diagnosed(tmp_path):
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(f"{MOSQUITTO} is missing (Debian package mosquitto)")
    sim = Simulator(_free_port(), str(tmp_path / "simulator.log"))
    broker = Broker(tmp_path)
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.format(modbus=sim.port, mqtt=broker.port))
    gw = None
    try:
        gw = start_gateway(config, tmp_path)
        yield gw, sim, config
    finally:
        if gw is not None:
            _stop_server(gw.proc)
        sim.stop()
        broker.kill()
        print(f"--- gateway log ---\n{tail(str(tmp_path / 'gateway.log'))}")


def wait_read(c, reference: str, fc: str, expected, limit: float = 6.0):
    deadline = time.monotonic() + limit
    while True:
        value = c.read(reference, fc)
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@clients
def test_channels_and_health_follow_the_field(diagnosed, kind):
    gw, sim, _ = diagnosed
    read_fd, write_fd = os.pipe()

    def body(c):
        os.close(read_fd)
        out = {"names": [c.read(f"{DIAG}/LCCH{i}.NamPlt.d", "DC") for i in (1, 2)]}
        out["live"] = [wait_read(c, f"{DIAG}/LCCH{i}.ChLiv.stVal", "ST", True) for i in (1, 2)]
        out["health"] = wait_read(c, f"{DIAG}/LPHD1.PhyHealth.stVal", "ST", OK)
        out["received"] = c.read(f"{DIAG}/LCCH1.RxCnt.stVal", "ST")
        c.subscribe(URCB, c.rcb_values(URCB)["RptID"])
        c.set_rcb(URCB, RptEna=True)
        c.trigger_gi(URCB)
        out["gi"] = c.wait_reports(1, 3) and c.take_reports()
        os.write(write_fd, b".")  # the parent stops the simulator now
        out["dead"] = wait_read(c, f"{DIAG}/LCCH1.ChLiv.stVal", "ST", False)
        out["warning"] = wait_read(c, f"{DIAG}/LPHD1.PhyHealth.stVal", "ST", WARNING)
        out["dead_reports"] = c.wait_reports(2, 3) and c.take_reports()
        os.write(write_fd, b".")  # the parent starts it again
        out["back"] = wait_read(c, f"{DIAG}/LCCH1.ChLiv.stVal", "ST", True)
        out["ok"] = wait_read(c, f"{DIAG}/LPHD1.PhyHealth.stVal", "ST", OK)
        return out

    child = spawn_client(kind, gw, body)
    os.close(write_fd)
    for step in ("stop", "start"):
        ready, _, _ = select.select([read_fd], [], [], 30)
        if not ready or os.read(read_fd, 1) != b".":
            break
        sim.stop() if step == "stop" else sim.start()
    out = collect_client(child, timeout=60)
    os.close(read_fd)
    assert out["names"][0] == "modbus meter" and out["names"][1].startswith("mqtt 127.0.0.1:"), out
    assert out["live"] == [True, True] and out["health"] == OK and out["received"] > 0, out
    # GI: PhyHealth and both ChLiv, in the data set's order.
    assert out["gi"], {k: v for k, v in out.items() if k != "dead_reports"}
    gi = out["gi"][0]["values"]
    assert [gi.get(0), gi.get(1), gi.get(2)] == [OK, True, True], out["gi"]
    assert out["dead"] is False and out["warning"] == WARNING, out
    changed = {i: v for r in out["dead_reports"] for i, v in r["values"].items()}
    assert changed.get(1) is False and changed.get(0) == WARNING, out["dead_reports"]
    assert out["back"] is True and out["ok"] == OK, out


def test_export_scl_has_the_diagnostics_device(diagnosed):
    _, _, config = diagnosed
    done = subprocess.run([GATEWAY, "export-scl", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert '<LDevice inst="Diag"' in done.stdout and 'lnClass="LCCH" inst="2"' in done.stdout and 'lnClass="LPHD" inst="1"' in done.stdout
    assert '<DataSet name="Health"' in done.stdout and 'name="urcbHealth"' in done.stdout
