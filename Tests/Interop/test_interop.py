"""Interoperability tests: two independent IEC 61850 clients against the server under test.

Every test runs once per client library (libIEC61850 through pyiec61850-ng, and the Rust stack of
PyPI iec61850); the bodies are shared through the adapters in clients.py. Each client session runs
in a forked child with a hard time limit (conftest.run_client).
"""

from __future__ import annotations

import socket
import time

import pytest

from clients import Bits, BinTimeMs, ClientError, UtcMs
from conftest import CLIENT_KINDS, PASSWORD, SCL, Checker, run_client
from scl_model import expected_model
from values import ALLTYPES, DENIED_WRITES, GGIO2_VALUES, LD, SETMAG, SP_WRITES

MOD_STVAL = f"{LD}/LLN0.Mod.stVal"
EPOCH_1984_MS = 441763200000  # 1984-01-01T00:00:00Z


# ------------------------------------------------------------------------------ helpers
def as_bits(v) -> str:
    if isinstance(v, Bits):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return "".join(f"{b:08b}" for b in v)
    raise TypeError(f"not a bit string: {v!r}")


def bits_match(actual, expected: str) -> bool:
    bits = as_bits(actual)
    if isinstance(actual, Bits):  # the client knows the bit count
        return bits == expected
    return bits[: len(expected)] == expected and set(bits[len(expected):]) <= {"0"}


def utc_ms(v) -> int:
    if isinstance(v, UtcMs):
        return int(v)
    if isinstance(v, (bytes, bytearray)) and len(v) == 8:
        secs = int.from_bytes(v[0:4], "big")
        frac = int.from_bytes(v[4:7], "big")
        return secs * 1000 + round(frac * 1000 / (1 << 24))
    raise TypeError(f"not a UtcTime: {v!r}")


def bintime_ms(v) -> int:
    if isinstance(v, BinTimeMs):
        return int(v)
    if isinstance(v, (bytes, bytearray)) and len(v) == 6:
        ms_of_day = int.from_bytes(v[0:4], "big")
        days = int.from_bytes(v[4:6], "big")
        return EPOCH_1984_MS + days * 86400000 + ms_of_day
    raise TypeError(f"not a BinaryTime: {v!r}")


def value_ok(kind: str, actual, expected) -> bool:
    try:
        if kind == "bool":
            return isinstance(actual, bool) and actual == expected
        if kind == "int":
            return isinstance(actual, int) and not isinstance(actual, bool) and actual == expected
        if kind == "float":
            return isinstance(actual, float) and actual == expected
        if kind == "str":
            return isinstance(actual, str) and not isinstance(actual, Bits) and actual == expected
        if kind == "bits":
            return bits_match(actual, expected)
        if kind == "octets":
            return isinstance(actual, (bytes, bytearray)) and bytes(actual) == expected
        if kind == "utc_ms":
            return abs(utc_ms(actual) - expected) <= 1
        if kind == "bintime_ms":
            return bintime_ms(actual) == expected
    except TypeError:
        return False
    raise ValueError(kind)


def expect_error(fn, kind: str):
    try:
        fn()
    except ClientError as e:
        assert e.kind == kind, f"expected a {kind} error, got {e}"
        return e
    raise AssertionError(f"expected a {kind} error, the call succeeded")


clients = pytest.mark.parametrize("kind", CLIENT_KINDS)


# ------------------------------------------------------------------------------ association
@clients
def test_associate_without_password(server, kind):
    def body(c):
        assert c.read(MOD_STVAL, "ST") == 1

    run_client(kind, server, body)


@clients
def test_associate_with_right_password(password_server, kind):
    from clients import CLIENTS

    if not CLIENTS[kind].supports_password:
        pytest.skip(f"the {kind} client has no ACSE password authentication")

    def body(c):
        assert c.read(MOD_STVAL, "ST") == 1

    run_client(kind, password_server, body, password=PASSWORD)


@clients
def test_associate_without_password_is_rejected(password_server, kind):
    def body(c):
        try:
            c.connect(password_server.host, password_server.port, None)
        except ClientError as e:
            assert e.kind in ("connect", "timeout"), str(e)
            return
        # Some stacks report the association only on first use: the read must then fail.
        try:
            c.read(MOD_STVAL, "ST")
        except ClientError:
            return
        raise AssertionError("association without password was accepted by a password-protected server")

    run_client(kind, password_server, body, connect=False)


@clients
def test_associate_with_wrong_password_is_rejected(password_server, kind):
    from clients import CLIENTS

    if not CLIENTS[kind].supports_password:
        pytest.skip(f"the {kind} client has no ACSE password authentication")

    def body(c):
        try:
            c.connect(password_server.host, password_server.port, "wrong-" + PASSWORD)
        except ClientError as e:
            assert e.kind in ("connect", "timeout"), str(e)
            return
        raise AssertionError("association with a wrong password was accepted")

    run_client(kind, password_server, body, connect=False)
    # and the right password still works afterwards (server not wedged by the rejection)
    run_client(kind, password_server, lambda c: c.read(MOD_STVAL, "ST"), password=PASSWORD)


# ------------------------------------------------------------------------------ browsing
@clients
def test_browse_finds_every_declared_object(server, kind):
    model = expected_model(SCL)

    def body(c):
        found_nodes: set[str] = set()
        found_fcs: dict[str, set[str]] = {}
        lds = c.logical_devices()
        server_dir = c.server_directory()
        lns_by_ld = {}

        def walk(ref: str, depth: int) -> None:
            if depth > 8:
                return
            try:
                kids = c.children(ref)
            except ClientError:
                return  # a leaf: some servers answer with an error rather than an empty list
            for name, fc in kids:
                r = f"{ref}.{name}"
                found_nodes.add(r)
                if fc:
                    found_fcs.setdefault(r, set()).add(fc)
                walk(r, depth + 1)

        for ld in lds:
            lns_by_ld[ld] = c.logical_nodes(ld)
            for ln in lns_by_ld[ld]:
                for do in c.data_objects(f"{ld}/{ln}"):
                    ref = f"{ld}/{ln}.{do}"
                    found_nodes.add(ref)
                    walk(ref, 0)
        return lds, server_dir, lns_by_ld, found_nodes, found_fcs

    lds, server_dir, lns_by_ld, nodes, fcs = run_client(kind, server, body, timeout=180)
    ck = Checker()
    ck.check(set(model.lds) <= set(lds), "browse:lds", f"logical devices {sorted(model.lds)} not all in {lds}")
    ck.check(set(model.lds) <= set(server_dir), "browse:serverdir", f"server directory {server_dir}")
    for ld, lns in model.lds.items():
        ck.check(set(lns) <= set(lns_by_ld.get(ld, [])), "browse:lns",
                 f"{ld}: logical nodes {sorted(lns)} not all in {lns_by_ld.get(ld)}")
    missing = sorted(model.nodes - nodes)
    ck.check(not missing, "browse:nodes", f"{len(missing)} declared objects not found, e.g. {missing[:15]}")
    wrong_fc = sorted(r for r, fc in model.da_fcs.items() if r in fcs and fc not in fcs[r])
    ck.check(not wrong_fc, "browse:fc", f"wrong FC for {[(r, fcs[r], model.da_fcs[r]) for r in wrong_fc[:10]]}")
    ck.finish()


# ------------------------------------------------------------------------------ reading
@clients
def test_read_every_basic_type(server, kind):
    def body(c):
        out = {}
        for name, fc, _, _ in GGIO2_VALUES:
            try:
                out[name] = ("ok", c.read(f"{ALLTYPES}.{name}", fc))
            except ClientError as e:
                out[name] = ("error", str(e))
        out["setMag"] = ("ok", c.read(SETMAG[0], SETMAG[1]))
        return out

    got = run_client(kind, server, body)
    ck = Checker()
    for name, fc, vkind, expected in GGIO2_VALUES + [("setMag", "SP", SETMAG[2], SETMAG[3])]:
        status, actual = got[name]
        ck.check(status == "ok" and value_ok(vkind, actual, expected), f"value:{name}",
                 f"GGIO2 {name} [{fc}] expected {vkind} {expected!r}, got {status} {actual!r}")
    ck.finish()


@clients
def test_read_whole_ln_fc_and_do(server, kind):
    def body(c):
        return (
            c.read(f"{LD}/GGIO1", "ST"),
            c.read(f"{LD}/GGIO1.AnIn1", "MX"),
            c.read("DEMOMeasurement/MMXU1.PhV", "MX"),
            c.read(f"{LD}/GGIO1.SPCSO2", "CF"),
        )

    ggio1_st, anin1, phv, spcso2_cf = run_client(kind, server, body)
    # GGIO1 [ST]: the DOs with ST data in type order: Mod Beh Health SPCSO1..4 Ind1..4 IntIn1
    assert isinstance(ggio1_st, list) and len(ggio1_st) == 12, ggio1_st
    assert ggio1_st[0][0] == 1  # Mod.stVal on
    assert ggio1_st[2][0] == 1  # Health.stVal Ok
    for ind in ggio1_st[7:11]:  # Ind1..Ind4 = [stVal, q, t]
        assert len(ind) == 3 and ind[0] is False and bits_match(ind[1], "0000000000000")
    assert ggio1_st[11][0] == 42  # IntIn1.stVal
    # SPC in ST: origin, ctlNum, stVal, q, t
    assert len(ggio1_st[3]) == 5 and ggio1_st[3][2] is False
    # AnIn1 [MX] = [mag [f], q, t]
    assert anin1[0] == [21.5] and len(anin1) == 3
    # PhV [MX] = phsA, phsB, phsC each [cVal [mag [f], ang [f]], q, t]
    assert [p[0][0][0] for p in phv] == [230.5, 231.25, 229.75]
    # SPCSO2 [CF] = ctlModel, sboTimeout, sboClass
    assert spcso2_cf == [2, 10000, 0]


@clients
def test_read_nonexistent_is_an_error_not_a_crash(server, kind):
    def body(c):
        expect_error(lambda: c.read(f"{ALLTYPES}.noSuchAttr", "ST"), "non-existent")
        expect_error(lambda: c.read(f"{LD}/GGIO9.Ind1.stVal", "ST"), "non-existent")
        expect_error(lambda: c.read("DEMONoSuchLD/LLN0.Mod.stVal", "ST"), "non-existent")
        wrong_fc = []
        for ref, fc in [(f"{LD}/GGIO1.Ind1.stVal", "MX"), (f"{LD}/GGIO1.AnIn1.mag.f", "ST")]:
            try:
                wrong_fc.append((ref, fc, "ok", c.read(ref, fc)))
            except ClientError as e:
                wrong_fc.append((ref, fc, e.kind, str(e)))
        assert c.read(MOD_STVAL, "ST") == 1  # the association is still usable
        return wrong_fc

    ck = Checker()
    for ref, fc, outcome, detail in run_client(kind, server, body):
        ck.check(outcome == "non-existent", "read:wrong-fc",
                 f"read of {ref} with the wrong FC {fc} gave {outcome} {detail!r}, expected object-non-existent")
    ck.finish()


# ------------------------------------------------------------------------------ writing
@clients
def test_write_settings_and_refuse_status_writes(fresh_server, kind):
    def body(c):
        results = []
        for ref, fc, wkind, value in SP_WRITES:
            try:
                c.write(ref, fc, value, wkind)
                results.append((ref, value, "ok", c.read(ref, fc)))
            except ClientError as e:
                results.append((ref, value, e.kind, str(e)))
        denied = []
        for ref, fc, wkind, value in DENIED_WRITES:
            before = c.read(ref, fc)
            try:
                c.write(ref, fc, value, wkind)
                denied.append((ref, "accepted", c.read(ref, fc), before))
            except ClientError as e:
                denied.append((ref, e.kind, c.read(ref, fc), before))
        return results, denied

    results, denied = run_client(kind, fresh_server, body)
    ck = Checker()
    for ref, value, outcome, readback in results:
        leaf = ref.split("/", 1)[1]
        ck.check(outcome == "ok" and readback == value, f"write:{leaf}",
                 f"{ref}: wrote {value!r}, got {outcome} {readback!r}")
    for ref, outcome, after, before in denied:
        leaf = ref.split("/", 1)[1]
        ck.check(outcome == "access-denied", f"deny:{leaf}",
                 f"write to {ref} gave {outcome}, expected object-access-denied")
        ck.check(after == before, f"deny:{leaf}", f"{ref} changed by a refused write: {before!r} -> {after!r}")
    ck.finish()


# ------------------------------------------------------------------------------ robustness
@clients
def test_server_survives_a_misbehaving_peer(server, kind):
    garbage = [
        b"\x00" * 64,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        bytes([3, 0, 0, 11, 6, 0xE0, 0, 0, 0, 1, 0]),  # truncated COTP CR
        bytes([3, 0, 0xFF, 0xFF]) + b"\x01" * 100,  # TPKT announcing 65535 bytes, then close
    ]
    for g in garbage:
        with socket.create_connection((server.host, server.port), timeout=5) as s:
            try:
                s.sendall(g)
                s.settimeout(0.3)
                try:
                    s.recv(1024)
                except (socket.timeout, OSError):
                    pass
            except OSError:
                pass
    # a half-open connection that says nothing stays open while another client works
    idle = socket.create_connection((server.host, server.port), timeout=5)
    try:
        time.sleep(0.2)
        assert server.proc.poll() is None, "server process died"
        run_client(kind, server, lambda c: c.read(MOD_STVAL, "ST") == 1 or pytest.fail("bad Mod.stVal"))
    finally:
        idle.close()
    assert server.proc.poll() is None, "server process died"
