"""The file services through the gateway with the libIEC61850 client (issue 18).

`iec61850-gateway run --config FILE` with a `files:` section serves a folder (a COMTRADE record and
a 100 kB file), the served model as SCL/<IED>.cid and the event log's days as LOG/events-DAY.csv.
With pyiec61850-ng's client (the Rust `iec61850` client has no file services):
  - FileDirectory lists the folder, SCL/ and LOG/, page by page in small PDUs (continueAfter);
  - FileOpen/FileRead/FileClose download the 100 kB file and the day's export byte for byte (the export
    also against `iec61850-gateway events --format csv`), and the CID, which is the model served;
  - names leaving the folder, unknown files and a FileDelete on the read-only store get the MMS errors;
  - a sixth open file on one association is refused, and files a lost association left open are closed
    (the gateway's descriptors), while the gateway goes on serving;
  - with `delete: true` FileDelete removes a file, and with `write: true` SetFile (ObtainFile: the
    gateway fetches the file from the client) stores one byte for byte, never over an existing file.

Run (needs .build/debug/iec61850-gateway; about 15 s):
    python3 -m pytest Tests/Interop/test_files.py -q
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, SCL, _stop_server, kill_client, run_client, spawn_client, wait_for
from test_gateway_modbus import GATEWAY, start_gateway, tail

SESSION = 30.0
KIND = "libiec61850"  # the Rust client has no file services
CONFIG = """\
model: {{scl: {scl}}}
files: {{root: {root}, delete: {delete}, write: {delete}, log-days: 2}}
"""
BIG = bytes((i * 7919 + 13) % 251 for i in range(100_000))


@pytest.fixture()
def file_gateway(tmp_path):
    """start(delete=False) -> (gateway, root folder); stopped at the end."""
    running = []

    def start(delete: bool = False):
        root = tmp_path / ("store-delete" if delete else "store")
        (root / "COMTRADE").mkdir(parents=True)
        (root / "COMTRADE" / "fault1.cfg").write_text("station,1,1999\n")
        (root / "big.bin").write_bytes(BIG)
        config = tmp_path / ("gateway-delete.yaml" if delete else "gateway.yaml")
        config.write_text(CONFIG.format(scl=SCL, root=root, delete="true" if delete else "false"))
        gw = start_gateway(config, tmp_path, extra_args=["--log-level", "debug"])
        running.append(gw)
        return gw, root

    try:
        yield start
    finally:
        for gw in running:
            _stop_server(gw.proc)
        print(f"--- gateway log ({tmp_path}) ---\n{tail(str(tmp_path / 'gateway.log'))}")


# ------------------------------------------------------------------ libIEC61850 file calls
P = ctypes.c_void_p
READ = ctypes.CFUNCTYPE(None, P, ctypes.c_int32, ctypes.POINTER(ctypes.c_uint8), ctypes.c_uint32)


def native(client):
    """The client's shared library through ctypes, for the calls SWIG does not wrap usefully."""
    lib = ctypes.CDLL(client.L._pyiec61850.__file__)
    pi = ctypes.POINTER(ctypes.c_int)
    for name, res, args in [
        ("MmsConnection_fileOpen", ctypes.c_int32, [P, pi, ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32),
                                                   ctypes.POINTER(ctypes.c_uint64)]),
        ("MmsConnection_fileRead", ctypes.c_bool, [P, pi, ctypes.c_int32, READ, P]),
        ("MmsConnection_fileClose", None, [P, pi, ctypes.c_int32]),
        ("IedConnection_getFileDirectoryEx", P, [P, pi, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_bool)]),
        ("LinkedList_getNext", P, [P]), ("LinkedList_getData", P, [P]), ("LinkedList_destroyDeep", None, [P, P]),
        ("FileDirectoryEntry_getFileName", ctypes.c_char_p, [P]), ("FileDirectoryEntry_getFileSize", ctypes.c_uint32, [P]),
        ("FileDirectoryEntry_getLastModified", ctypes.c_uint64, [P]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


def pointer(obj):
    return P(int(obj.this if hasattr(obj, "this") else obj))


def mms(client):
    return pointer(client.L.IedConnection_getMmsConnection(client.con))


def list_pages(client, name: str):
    """Every page of a listing, following moreFollows with continueAfter (the last name): [(name, size, ms)…] per page."""
    lib, pages, after = native(client), [], None
    while True:
        err, more = ctypes.c_int(0), ctypes.c_bool(False)
        lst = lib.IedConnection_getFileDirectoryEx(pointer(client.con), ctypes.byref(err), name.encode(), after, ctypes.byref(more))
        if err.value:
            return err.value, pages
        page, element = [], lib.LinkedList_getNext(lst)
        while element:
            entry = lib.LinkedList_getData(element)
            page.append((lib.FileDirectoryEntry_getFileName(entry).decode(), lib.FileDirectoryEntry_getFileSize(entry),
                         lib.FileDirectoryEntry_getLastModified(entry)))
            element = lib.LinkedList_getNext(element)
        lib.LinkedList_destroyDeep(lst, ctypes.cast(lib.FileDirectoryEntry_destroy, P))
        pages.append(page)
        if not more.value:
            return 0, pages
        after = page[-1][0].encode()


def open_file(client, name: str):
    """(mmsError, frsmID, size)."""
    lib = native(client)
    err, size, modified = ctypes.c_int(0), ctypes.c_uint32(0), ctypes.c_uint64(0)
    frsm = lib.MmsConnection_fileOpen(mms(client), ctypes.byref(err), name.encode(), 0, ctypes.byref(size), ctypes.byref(modified))
    return err.value, frsm, size.value


def read_chunk(client, frsm: int):
    """(mmsError, bytes, moreFollows)."""
    lib, chunks, err = native(client), [], ctypes.c_int(0)
    handler = READ(lambda _p, _id, data, n: chunks.append(ctypes.string_at(data, n)))
    more = lib.MmsConnection_fileRead(mms(client), ctypes.byref(err), frsm, handler, None)
    return err.value, b"".join(chunks), more


def close_file(client, frsm: int) -> int:
    err = ctypes.c_int(0)
    native(client).MmsConnection_fileClose(mms(client), ctypes.byref(err), frsm)
    return err.value


def download(client, name: str):
    """(mmsError, content, size announced, chunk count)."""
    err, frsm, size = open_file(client, name)
    if err:
        return err, None, None, 0
    content, chunks = b"", 0
    while True:
        err, data, more = read_chunk(client, frsm)
        if err:
            return err, None, None, chunks
        content, chunks = content + data, chunks + 1
        if not more:
            break
    return close_file(client, frsm), content, size, chunks


def connected(client, gw, pdu: int | None = None):
    client.local_max_pdu = pdu
    client.connect(gw.host, gw.port)
    return client


# --------------------------------------------------------------------------------- tests
def test_list_and_download(file_gateway, tmp_path):
    gw, _ = file_gateway()

    def body(client):
        connected(client, gw, pdu=2000)
        out = {"root": list_pages(client, "/"), "star": list_pages(client, "*"), "comtrade": list_pages(client, "COMTRADE"),
               "scl": list_pages(client, "SCL")}
        out["big"] = download(client, "big.bin")
        out["cid"] = download(client, out["scl"][1][0][0][0])
        out["devices"] = client.logical_devices()
        time.sleep(6)  # the exports are brought up to date every 5 s: today's has this association now
        out["log"] = list_pages(client, "LOG")
        out["export"] = download(client, out["log"][1][0][-1][0])
        return out

    r = run_client(KIND, gw, body, connect=False, timeout=SESSION)
    err, pages = r["root"]
    assert err == 0
    names = [name for page in pages for name, _, _ in page]
    assert names == ["COMTRADE/", "LOG/", "SCL/", "big.bin"], names
    assert dict((n, s) for page in pages for n, s, _ in page)["big.bin"] == len(BIG)
    assert [n for page in r["star"][1] for n, _, _ in page] == names
    assert [n for page in r["comtrade"][1] for n, _, _ in page] == ["COMTRADE/fault1.cfg"]
    modified = [m for page in pages for n, _, m in page if n == "big.bin"][0]
    assert abs(modified - int(os.path.getmtime(tmp_path / "store" / "big.bin") * 1000)) < 1000

    err, content, size, chunks = r["big"]
    assert err == 0 and size == len(BIG) and content == BIG
    assert chunks > 40, f"a PDU of 2000 octets carries the 100 kB in about 50 reads, not {chunks}"

    err, cid, _, _ = r["cid"]
    assert err == 0
    root = ET.fromstring(cid)
    ns = {"scl": "http://www.iec.ch/61850/2003/SCL"}
    ied = root.find("scl:IED", ns)
    served = sorted(ied.get("name") + device.get("inst") for device in ied.iter("{http://www.iec.ch/61850/2003/SCL}LDevice"))
    assert served == sorted(r["devices"])
    exported = subprocess.run([GATEWAY, "export-scl", "--config", str(tmp_path / "gateway.yaml")], cwd=REPO, capture_output=True,
                              timeout=30)
    assert exported.returncode == 0, exported.stderr
    strip = lambda text: re.sub(rb'desc="[^"]*"', b"", text, count=1)
    assert strip(cid) == strip(exported.stdout), "the CID is the served model as export-scl writes it (but for its description)"

    err, log_pages = r["log"]
    assert err == 0 and log_pages[0], "LOG/ lists today's export"
    err, export, size, _ = r["export"]
    assert err == 0 and len(export) == size
    day = log_pages[0][-1][0]
    on_disk = (tmp_path / "events.sqlite.exports" / day.split("/")[-1]).read_bytes()
    assert on_disk.startswith(export), "the download is the server's file as it was when opened"
    lines = export.decode().split("\r\n")
    assert lines[0] == "id,time,kind,reference,value,quality,client,origin,ctlNum,result,cause,detail"
    assert any(",association," in line for line in lines), lines[:5]
    # Later events are appended to the day's file: the header once, the earlier rows unchanged.
    def again(client):
        connected(client, gw)
        time.sleep(6)
        return download(client, day)

    err, later, _, _ = run_client(KIND, gw, again, connect=False, timeout=SESSION)
    assert err == 0 and later.startswith(export) and len(later) > len(export), "the export grew"
    assert later.count(b"id,time,kind") == 1
    assert gw.proc.poll() is None, "the gateway is still running"
    listed = subprocess.run([GATEWAY, "events", "--event-log", str(tmp_path / "events.sqlite"), "--format", "csv"],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    everything = set(listed.stdout.splitlines())  # text mode reads its CRLFs as newlines
    missing = [line for line in lines if line and line not in everything]
    assert not missing, f"each exported row is the events command's row: {missing[:3]} not in {sorted(everything)[:5]}"


def test_refusals(file_gateway):
    gw, root = file_gateway()
    outside = root.parent / "secret.txt"
    outside.write_text("not for clients")
    os.symlink(outside, root / "escape.txt")

    def body(client):
        connected(client, gw)
        L = client.L
        out = {
            "dotdot": download(client, "../secret.txt")[0],
            "link": download(client, "escape.txt")[0],
            "missing": download(client, "missing.txt")[0],
            "nowhere": list_pages(client, "nowhere")[0],
            "listed": [n for page in list_pages(client, "/")[1] for n, _, _ in page],
            "delete": L.IedConnection_deleteFile(client.con, "big.bin")[1],
        }
        opened = [open_file(client, "big.bin") for _ in range(6)]
        out["opened"] = [err for err, _, _ in opened]
        close_file(client, opened[0][1])
        out["again"] = open_file(client, "COMTRADE/fault1.cfg")[0]
        return out

    r = run_client(KIND, gw, body, connect=False, timeout=SESSION)
    assert r["dotdot"] == 93, "filename-syntax-error (MmsError 93)"
    assert r["link"] == 97 and r["missing"] == 97, "file-non-existent (MmsError 97)"
    assert r["nowhere"] == 22, "IED_ERROR_OBJECT_DOES_NOT_EXIST"
    assert "big.bin" in r["listed"] and "escape.txt" not in r["listed"], r["listed"]
    assert r["delete"] == 21, "IED_ERROR_ACCESS_DENIED: the store is read-only"
    assert (root / "big.bin").exists()
    assert r["opened"][:5] == [0] * 5 and r["opened"][5] != 0, r["opened"]
    assert r["again"] == 0, "a file closed makes room for another"


def test_lost_association_closes_its_files(file_gateway):
    gw, root = file_gateway()
    target = str(root / "big.bin")

    def descriptors():
        return sum(1 for fd in os.listdir(f"/proc/{gw.proc.pid}/fd")
                   if os.path.realpath(f"/proc/{gw.proc.pid}/fd/{fd}") == os.path.realpath(target))

    def half(client):
        connected(client, gw, pdu=2000)
        frsms = []
        for _ in range(3):
            err, frsm, _ = open_file(client, "big.bin")
            assert err == 0
            frsms.append(frsm)
        assert read_chunk(client, frsms[0])[0] == 0
        time.sleep(SESSION)  # killed here, mid-transfer: no FileClose, no release

    child = spawn_client(KIND, gw, half, connect=False)
    try:
        assert wait_for(lambda: descriptors() == 3, 10.0), "three files open on the gateway"
    finally:
        kill_client(child)
    assert wait_for(lambda: descriptors() == 0, 5.0), "the lost association's open files are closed"

    def whole(client):
        connected(client, gw)
        return download(client, "big.bin")

    err, content, _, _ = run_client(KIND, gw, whole, connect=False, timeout=SESSION)
    assert err == 0 and content == BIG, "the gateway goes on serving"


def test_delete_when_enabled(file_gateway):
    gw, root = file_gateway(delete=True)

    def body(client):
        connected(client, gw)
        L = client.L
        return (L.IedConnection_deleteFile(client.con, "COMTRADE/fault1.cfg")[1],
                L.IedConnection_deleteFile(client.con, "COMTRADE/fault1.cfg")[1],
                L.IedConnection_deleteFile(client.con, "SCL/" + [n for page in list_pages(client, "SCL")[1] for n, _, _ in page][0].split("/")[-1])[1])

    first, second, cid = run_client(KIND, gw, body, connect=False, timeout=SESSION)
    assert first == 0 and not (root / "COMTRADE" / "fault1.cfg").exists()
    assert second == 22, "already gone: file-non-existent"
    assert cid == 21, "the server's own files cannot be deleted"


def test_set_file_when_enabled(file_gateway, tmp_path):
    gw, root = file_gateway(delete=True)
    (root / "incoming").mkdir()
    local = tmp_path / "client-store"
    local.mkdir()
    upload = bytes((i * 31 + 7) % 256 for i in range(50_000))
    (local / "settings.bin").write_bytes(upload)

    def body(client):
        connected(client, gw, pdu=4000)
        L = client.L
        L.IedConnection_setFilestoreBasepath(client.con, str(local) + "/")
        return (L.IedConnection_setFile(client.con, "settings.bin", "incoming/settings.bin")[1],
                L.IedConnection_setFile(client.con, "settings.bin", "incoming/settings.bin")[1],
                L.IedConnection_setFile(client.con, "missing.bin", "incoming/other.bin")[1])

    first, again, missing = run_client(KIND, gw, body, connect=False, timeout=SESSION)
    assert first == 0, first
    assert (root / "incoming" / "settings.bin").read_bytes() == upload
    assert again != 0, "never over an existing file"
    assert missing != 0 and not (root / "incoming" / "other.bin").exists()
    assert sorted(os.listdir(root / "incoming")) == ["settings.bin"], "no partial files left"
