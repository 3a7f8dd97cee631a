"""Substitution (IEC 61850-7-3: subEna, subVal/subMag, subQ, subID in FC SV) on the gateway, by both PyPI
clients and by the HTTP API: reads and reports carry the substitute with q.source substituted, field
changes meanwhile are held, releasing restores the field's latest value, and the event log says who."""

from __future__ import annotations

import json
import time

import pytest

from clients import CLIENTS
from conftest import run_client
from test_http import http_gateway, point  # noqa: F401  (the fixture)
from test_interop import as_bits

clients = pytest.mark.parametrize("kind", list(CLIENTS))
IND1 = "DEMOGenericIO/GGIO1.Ind1"
URCB = "DEMOGenericIO/LLN0.RP.urcbEvents01"
SUBSTITUTED = 10  # q.source: bit 10 of the quality bit string


def substituted(quality) -> bool:
    bits = as_bits(quality)
    return len(bits) > SUBSTITUTED and bits[SUBSTITUTED] == "1"


def wait(c, reference: str, fc: str, check, limit: float = 5.0):
    deadline = time.monotonic() + limit
    while True:
        value = c.read(reference, fc)
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@clients
def test_a_client_substitutes_and_releases(http_gateway, kind):
    gw = http_gateway
    # The gateway's points: Ind1 is not fed in test_http's configuration; feed it through a reload.
    config = open(gw.log.replace("gateway.log", "gateway.yaml")).read()
    config = config.replace("points:\n", "points:\n  - ref: GenericIO/GGIO1.Ind1\n    poll-ms: 100\n    modbus: {device: meter, table: coil, address: 5}\n", 1)
    open(gw.log.replace("gateway.log", "gateway.yaml"), "w").write(config)
    assert json.loads(gw.get("/api/reload", method="POST")[1])["applied"]
    gw.sim.set("set coil 5 bool true")

    def body(c):
        out = {"before": wait(c, f"{IND1}.stVal", "ST", lambda v: v is True)}
        c.subscribe(URCB, c.rcb_values(URCB)["RptID"])
        c.set_rcb(URCB, RptEna=True)
        c.write(f"{IND1}.subVal", "SV", False, "bool")
        c.write(f"{IND1}.subID", "SV", f"{kind}-tester", "visstr")
        out["unchanged"] = c.read(f"{IND1}.stVal", "ST")
        c.write(f"{IND1}.subEna", "SV", True, "bool")
        out["value"] = c.read(f"{IND1}.stVal", "ST")
        out["q"] = c.read(f"{IND1}.q", "ST")
        out["reports"] = c.wait_reports(1, 3) and c.take_reports()
        # The field changes while substituted: held, not served.
        gw.sim.set("set coil 5 bool false")
        time.sleep(0.4)
        gw.sim.set("set coil 5 bool true")
        time.sleep(0.4)
        out["held"] = c.read(f"{IND1}.stVal", "ST")
        gw.sim.set("set coil 5 bool false")
        time.sleep(0.4)
        c.write(f"{IND1}.subEna", "SV", False, "bool")
        out["released"] = c.read(f"{IND1}.stVal", "ST")
        out["released_q"] = c.read(f"{IND1}.q", "ST")
        out["release_reports"] = c.wait_reports(1, 3) and c.take_reports()
        return out

    out = run_client(kind, gw, body, timeout=40)
    assert out["before"] is True and out["unchanged"] is True, out
    assert out["value"] is False and substituted(out["q"]), out
    stval = [r["values"].get(0) for r in out["reports"]]
    quality = [r["values"].get(1) for r in out["reports"]]
    assert False in stval and any(q is not None and substituted(q) for q in quality), out["reports"]
    assert out["held"] is False, "a field change while substituted is held"
    assert out["released"] is False and not substituted(out["released_q"]), out
    assert any(r["values"].get(1) is not None and not substituted(r["values"][1]) for r in out["release_reports"]), out["release_reports"]
    events = gw.json("/api/events?kind=substitution")
    assert [(e["reference"], e["result"]) for e in events] == [("GenericIO/GGIO1.Ind1", "substituted"), ("GenericIO/GGIO1.Ind1", "released")], events
    assert events[0]["client"].startswith("127.0.0.1:") and events[0]["detail"] == f"subID {kind}-tester" and events[0]["value"] == "false", events


@clients
def test_the_http_api_substitutes_a_measurement(http_gateway, kind):
    gw = http_gateway
    gw.sim.set("set input 52 float32 1000.5")
    gw.wait("the field value", lambda: point(gw.json("/api/points"), "Measurement/MMXU1.TotW.mag.f")["value"] == 1000.5)
    assert point(gw.json("/api/points"), "Measurement/MMXU1.TotW.mag.f")["substitutable"] is True

    def post(body):
        return gw.post("/api/substitution", body)

    status, answer = post({"object": "Measurement/MMXU1.TotW", "value": "42.5", "validity": "questionable"})
    assert status == 200 and answer["result"] == "substituted", answer

    def body(c):
        return c.read("DEMOMeasurement/MMXU1.TotW.mag.f", "MX"), c.read("DEMOMeasurement/MMXU1.TotW.q", "MX")

    value, quality = run_client(kind, gw, body, timeout=30)
    assert value == 42.5 and substituted(quality) and as_bits(quality)[:2] == "11", (value, quality)
    shown = point(gw.json("/api/points"), "Measurement/MMXU1.TotW.mag.f")
    assert shown["value"] == 42.5 and "substituted" in shown["quality"]["detail"], shown
    gw.sim.set("set input 52 float32 7.25")
    time.sleep(0.4)
    assert point(gw.json("/api/points"), "Measurement/MMXU1.TotW.mag.f")["value"] == 42.5
    status, answer = post({"object": "Measurement/MMXU1.TotW", "release": True})
    assert status == 200 and answer["result"] == "released", answer
    value, quality = run_client(kind, gw, body, timeout=30)
    assert value == 7.25 and not substituted(quality), (value, quality)
    assert post({"object": "Measurement/MMXU1.Nope", "value": "1"})[0] == 404
    assert post({"object": "Measurement/MMXU1.TotW", "value": "lots"})[0] == 400
    events = gw.json("/api/events?kind=substitution")
    assert [e["result"] for e in events] == ["substituted", "released"] and events[0]["client"].startswith("HTTP 127.0.0.1:"), events
