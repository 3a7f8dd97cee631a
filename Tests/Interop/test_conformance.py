"""The generated conformance statements against the gateway they describe (issue 18).

`iec61850-gateway conformance --config FILE --output DIR` writes PICS.md, PIXIT.md, MICS.md and
conformance.html. The gateway is then run on the same configuration (with --simulate, so controls
execute) and the libIEC61850 client asks for each service the PICS lists that it can ask for: every
service marked Y answers, every service marked N is refused. Identify, LPHD1.PhyNam and the statements
carry the vendor, model and revision of the configuration, and a changed limit changes the PIXIT.

Run (needs .build/debug/iec61850-gateway; about 10 s):
    python3 -m pytest Tests/Interop/test_conformance.py -q
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time

import pytest

from clients import ClientError
from conftest import REPO, SCL, _stop_server, run_client
from test_files import KIND, connected, download, list_pages
from test_gateway_modbus import GATEWAY, start_gateway, tail

CONFIG = """\
model: {{scl: {scl}}}
server:
  max-associations: {associations}
  identity: {{vendor: ACME Grid, model: GW-100, revision: "2.1"}}
files: {{root: {root}, log-days: 1, write: {write}}}
"""
LD = "DEMOGenericIO"


def statements(config, out) -> dict:
    done = subprocess.run([GATEWAY, "conformance", "--config", str(config), "--output", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(out)) == ["MICS.md", "PICS.md", "PIXIT.md", "conformance.html"]
    return {name: (out / name).read_text() for name in os.listdir(out)}


def rows(markdown: str) -> dict:
    """Every table row by its name: the PICS's service (second column) → Y/N (fourth); the PIXIT's
    item (first) → value (second)."""
    out = {}
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0].startswith("---") or cells[0] in ("#", "item"):
            continue
        if len(cells) == 5:
            out[cells[1]] = cells[3]
        elif len(cells) >= 2:
            out[cells[0]] = cells[1]
    return out


def probes(client) -> dict:
    """Each PICS service this client can ask for → whether the gateway answered it."""
    L = client.L
    out = {}

    def probe(name, call):
        try:
            call()
            out[name] = True
        except (ClientError, RuntimeError, AssertionError) as error:
            out[name] = False
            out[name + " (error)"] = str(error)

    def ok(err):
        if err != L.IED_ERROR_OK:
            raise RuntimeError(f"IED error {err}")

    def ok_listing(result):
        assert result[0] == 0, result

    probe("GetServerDirectory (LOGICAL-DEVICE)", lambda: client.logical_devices())
    probe("GetLogicalDeviceDirectory", lambda: client.logical_nodes(LD))
    probe("GetLogicalNodeDirectory", lambda: client.data_objects(f"{LD}/GGIO1"))
    probe("GetDataValues", lambda: client.read(f"{LD}/GGIO1.AnIn1.mag.f", "MX"))
    probe("SetDataValues", lambda: client.write(f"{LD}/GGIO2.SetAn1.setMag.f", "SP", 13.5, "float32"))
    probe("GetDataDirectory", lambda: client.children(f"{LD}/GGIO1.AnIn1"))
    probe("GetDataSetValues", lambda: client.read_data_set(f"{LD}/LLN0.Events"))
    probe("CreateDataSet", lambda: client.create_data_set(f"{LD}/LLN0.Probe", [f"{LD}/GGIO1.Ind1[ST]"]))
    probe("GetDataSetDirectory", lambda: client.data_set_directory(f"{LD}/LLN0.Probe"))
    probe("DeleteDataSet", lambda: client.delete_data_set(f"{LD}/LLN0.Probe"))

    def write_data_set():
        values = L.LinkedList_create()
        L.LinkedList_add(values, L.MmsValue_newBoolean(True))
        _, err = L.IedConnection_writeDataSetValues(client.con, f"{LD}/LLN0.Events", values, None)
        ok(err)

    probe("SetDataSetValues", write_data_set)
    brcb = f"{LD}/LLN0.BR." + client.report_control_blocks(f"{LD}/LLN0", buffered=True)[0]
    urcb = f"{LD}/LLN0.RP." + client.report_control_blocks(f"{LD}/LLN0", buffered=False)[0]
    probe("GetBRCBValues", lambda: client.rcb_values(brcb))
    probe("SetBRCBValues", lambda: client.set_rcb(brcb, IntgPd=2000))
    probe("GetURCBValues", lambda: client.rcb_values(urcb))
    probe("SetURCBValues", lambda: client.set_rcb(urcb, IntgPd=2000))
    probe("GetLCBValues", lambda: client.read(f"{LD}/LLN0.EventLog.LogEna", "LG"))
    probe("GetLogStatusValues", lambda: client.read(f"{LD}/LLN0.EventLog.NewEntr", "LG"))
    now = int(time.time() * 1000)
    probe("QueryLogByTime", lambda: client.query_log_by_time(f"{LD}/LLN0$EventLog", now - 3_600_000, now + 60_000))
    probe("Operate", lambda: client.operate(f"{LD}/GGIO1.SPCSO1", True))
    probe("Select", lambda: client.select(f"{LD}/GGIO1.SPCSO2"))
    probe("SelectWithValue", lambda: client.select_with_value(f"{LD}/GGIO1.SPCSO4", True))
    probe("Cancel", lambda: client.cancel(f"{LD}/GGIO1.SPCSO4", True))
    probe("GetServerDirectory (FILE)", lambda: ok_listing(list_pages(client, "/")))
    probe("GetFileAttributeValues", lambda: ok_listing(list_pages(client, "SCL")))
    probe("GetFile", lambda: ok(download(client, "SCL/DEMO.cid")[0]))
    probe("DeleteFile", lambda: ok(L.IedConnection_deleteFile(client.con, "readme.txt")[1]))
    with tempfile.NamedTemporaryFile() as local:
        local.write(b"new file")
        local.flush()
        L.IedConnection_setFilestoreBasepath(client.con, os.path.dirname(local.name) + "/")
        probe("SetFile", lambda: ok(L.IedConnection_setFile(client.con, os.path.basename(local.name), "uploaded.txt")[1]))

    error = L.MmsError_create()
    identity = L.MmsConnection_identify(L.IedConnection_getMmsConnection(client.con), error)
    L.MmsErrror_destroy(error)  # sic: the binding's name
    out["identity"] = (identity.vendorName, identity.modelName, identity.revision)
    out["PhyNam"] = (client.read("DEMOGenericIO/LPHD1.PhyNam.vendor", "DC"), client.read("DEMOGenericIO/LPHD1.PhyNam.swRev", "DC"))
    return out


def test_every_statement_holds(tmp_path):
    root = tmp_path / "files"
    root.mkdir()
    (root / "readme.txt").write_text("read-only store")
    config = tmp_path / "gateway.yaml"
    config.write_text(CONFIG.format(scl=SCL, associations=7, root=root, write="false"))
    docs = statements(config, tmp_path / "statements")
    pics, pixit = rows(docs["PICS.md"]), rows(docs["PIXIT.md"])
    assert pixit["Maximum associations"] == "7"
    assert pixit["Vendor, model, revision (Identify)"] == "ACME Grid, GW-100, 2.1"
    assert "IED DEMO: ACME Grid GW-100 2.1" in docs["PICS.md"]
    assert "<td class=\"y\">Y</td>" in docs["conformance.html"] and "PIXIT" in docs["conformance.html"]
    assert "| GGIO |" in docs["MICS.md"] and "extension" not in docs["MICS.md"].split("|---|---|---|")[1]

    gw = start_gateway(config, tmp_path, extra_args=["--simulate", "--simulate-delay", "0"])
    try:
        answered = run_client(KIND, gw, lambda client: probes(connected(client, gw)), connect=False, timeout=60)
    finally:
        _stop_server(gw.proc)
    checked = [name for name in pics if name in answered]
    assert len(checked) == 27, checked
    wrong = [f"{name}: PICS {pics[name]}, gateway {'answered' if answered[name] else 'refused'} {answered.get(name + ' (error)', '')}"
             for name in checked if (pics[name] == "Y") != answered[name]]
    assert not wrong, "\n".join(wrong)
    assert {pics[name] for name in checked} == {"Y", "N"}, "both kinds are checked"
    assert answered["PhyNam"] == ("ACME Grid", "2.1"), answered["PhyNam"]
    assert answered["identity"] == ("ACME Grid", "GW-100", "2.1")

    # A changed setting changes the statement.
    config.write_text(CONFIG.format(scl=SCL, associations=3, root=root, write="true"))
    again = statements(config, tmp_path / "again")
    assert rows(again["PIXIT.md"])["Maximum associations"] == "3"
    assert pics["SetFile"] == "N" and rows(again["PICS.md"])["SetFile"] == "Y"
