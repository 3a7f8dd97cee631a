"""Control interop tests (PROTOCOL.md §6, issue 4): both client libraries against the IED simulator.

The server under test is the console server with simulated controls (conftest.control_server,
IEC61850_CONTROL_SERVER_CMD; default: example-console-server ... --simulate): an accepted control
sets the object's status after a short delay (stVal = ctlVal for SPC and INC, Dbpos on/off for DPC,
mxVal.f for APC; q good, t now, ST origin and ctlNum from the command), and the stdin lines
"fail <LDinst/LN.DO> <AddCause>" / "accept <LDinst/LN.DO>" make an object's execution fail from
then on / work again. Every test has a server of its own.

Demo objects (mappings/demo/demo.icd): object N of each CDC uses ctlModel N -- 1 direct-normal,
2 SBO-normal (read SBO, then Oper), 3 direct-enhanced (CommandTermination), 4 SBO-enhanced (SBOw,
then Oper); SBO timeouts 10 s, operate-once. SPC GGIO1.SPCSO1..4, DPC GGIO3.Pos1..4, INC
GGIO3.IntCtl1..4 (ctlVal INT32), APC GGIO3.AnCtl1..4 (ctlVal AnalogueValue {f}, status mxVal [MX]).

How each client does control (adapters in clients.py, where the details found on the wire are):
  pyiec61850-ng (libIEC61850 1.6.1 C client): ControlObjectClient_create / _select / _selectWithValue
    / _operate / _cancel / _setOrigin / _setCtlNum; LastApplError via _getLastApplError (stored by
    the client's receive thread in C); CommandTermination through the SWIG CommandTermSubscriber /
    CommandTermHandler pair, a Python callback on the receive thread that takes the GIL. As with
    reports (test_reports.py), a CommandTermination or report arriving while a call blocks on the
    same connection deadlocks that client, so the adapter waits for the CommandTermination with
    time.sleep(), and the tests read a status only when no report can be on its way.
  iec61850 0.14 (Rust): ControlObjectClient select / select_with_value / operate / cancel ->
    ControlOutcome(success, add_cause). It cannot send APC's structured ctlVal (those cases skip),
    exposes no AddCause for a refused write (only from a negative CommandTermination), and after a
    refused enhanced Oper waits for a CommandTermination until its request timeout (2 s here).
So AddCause, the LastApplError's ctlNum and the MMS write error are checked where the client exposes
them (outcome fields None otherwise); accept/refuse and the status are checked with both.

The client side was checked against libIEC61850 1.6.1's server (Benchmarks/libiec61850_server.py
--all, which installs no control handler: an accepted control succeeds, sends CommandTermination+ in
the enhanced models and changes no status; it refuses the "fail" line):
    IEC61850_CONTROL_SERVER_CMD="python3 Benchmarks/libiec61850_server.py --scl {scl} --port {port} \
        --bind 127.0.0.1 --all --stdin-updates" python3 -m pytest Tests/Interop/test_controls.py
There every accept/refuse, AddCause (18, 19, 26, 27), LastApplError ctlNum, write error and
CommandTermination check passes with both clients; what fails is only the status that must follow a
control, the reports it causes, and the failing-control test (no "fail" line).
"""

from __future__ import annotations

import time

import pytest

from clients import ADD_CAUSE_NAMES, CLIENTS
from conftest import CLIENT_KINDS, Checker, run_client
from test_interop import bits_match, utc_ms
from test_reports import LLN0, URCB, brief, reports_for

LD = "DEMOGenericIO"
TIMEOUT_MS = 2000  # request timeout of the control sessions (a refused enhanced Oper costs it with rust-iec61850)
OR_CAT, OR_IDENT = 2, b"interop"  # station-control
STATUS_WAIT = 3.0  # s for the simulated status to follow (the simulator's delay is 100 ms)
SETTLE = 0.5  # s after which a status that must not change is read
GOOD = "0000000000000"

# cdc: object reference (N = ctlModel), status attribute and FC, two control values, the status each gives
CDC = {
    "SPC": (f"{LD}/GGIO1.SPCSO{{n}}", "stVal", "ST", (True, False), (True, False), False),
    "DPC": (f"{LD}/GGIO3.Pos{{n}}", "stVal", "ST", (True, False), ("10", "01"), "01"),  # Dbpos on, off
    "INC": (f"{LD}/GGIO3.IntCtl{{n}}", "stVal", "ST", (11, -5), (11, -5), 0),
    "APC": (f"{LD}/GGIO3.AnCtl{{n}}", "mxVal.f", "MX", (12.5, -3.25), (12.5, -3.25), 0.0),
}
MODEL_NAMES = {1: "direct-normal", 2: "SBO-normal", 3: "direct-enhanced", 4: "SBO-enhanced"}
OBJECT_NOT_SELECTED, OBJECT_ALREADY_SELECTED, BLOCKED_BY_INTERLOCKING = 18, 19, 10
INCONSISTENT_PARAMETERS, LOCKED_BY_OTHER_CLIENT = 26, 27

SPC2, SPC4 = f"{LD}/GGIO1.SPCSO2", f"{LD}/GGIO1.SPCSO4"

clients = pytest.mark.parametrize("kind", CLIENT_KINDS)


# ------------------------------------------------------------------------------ helpers
def session(kind, srv, body):
    """run_client with the control sessions' request timeout; c._target for second()."""

    def wrapped(c):
        c.timeout_ms = TIMEOUT_MS
        c.connect(srv.host, srv.port)
        c._target = (srv.host, srv.port)
        return body(c)

    return run_client(kind, srv, wrapped, connect=False)


def second(c):
    """Another association of the same library to the same server, from inside a session."""
    d = type(c)(timeout_ms=TIMEOUT_MS)
    d.connect(*c._target)
    return d


def server_ref(obj: str) -> str:
    """The console server's reference of an object: LDinst without the IED name."""
    return obj.replace(f"{LD}/", "GenericIO/", 1)


def sequence(c, obj: str, model: int, value) -> dict:
    """The whole command of a control model: {step: outcome}."""
    steps = {}
    if model == 2:
        steps["select"] = c.select(obj)
    elif model == 4:
        steps["select_with_value"] = c.select_with_value(obj, value)
    steps["operate"] = c.operate(obj, value)
    return steps


def status_ok(got, expected) -> bool:
    if isinstance(expected, str):
        return got is not None and bits_match(got, expected)
    if isinstance(expected, float):
        return isinstance(got, float) and abs(got - expected) < 1e-6
    return got == expected and type(got) is type(expected)


def read_status(c, obj: str, cdc: str):
    _, attr, fc, *_ = CDC[cdc]
    return c.read(f"{obj}.{attr}", fc)


def wait_status(c, obj: str, cdc: str, expected, timeout: float = STATUS_WAIT):
    """Poll the status until it is expected (or timeout): (matched, last value read, seconds)."""
    started = time.monotonic()
    while True:
        got = read_status(c, obj, cdc)
        if status_ok(got, expected) or time.monotonic() - started > timeout:
            return status_ok(got, expected), got, round(time.monotonic() - started, 3)
        time.sleep(0.05)


def quiet_status(c, obj: str, cdc: str):
    """The status once a (wrongly) accepted control would have changed it."""
    time.sleep(SETTLE)
    return read_status(c, obj, cdc)


def cause_text(cause) -> str:
    return f"{cause} ({ADD_CAUSE_NAMES[cause]})" if isinstance(cause, int) and 0 <= cause < len(ADD_CAUSE_NAMES) else str(cause)


def accepted(ck: Checker, key: str, what: str, out: dict) -> None:
    ck.check(out["ok"], key, f"{what}: refused: {out}")
    ck.check(out["late"] is None, "ctl:late-termination", f"{what}: extra CommandTermination {out['late']}")


def refused(ck: Checker, key: str, what: str, out: dict, cause: int, write_error: str | None = None,
            ctl_num: int | None = None) -> None:
    """A refusal with LastApplError(AddCause cause) ahead of the negative response; the AddCause,
    the LastApplError's ctlNum and the write error are checked where the client exposes them."""
    ck.check(not out["ok"], key, f"{what}: accepted, expected a refusal with AddCause {cause_text(cause)}: {out}")
    if out["ok"]:
        return
    if out["add_cause"] is not None:
        ck.check(out["add_cause"] == cause, f"{key}:addcause",
                 f"{what}: LastApplError AddCause {cause_text(out['add_cause'])}, expected {cause_text(cause)}: {out['detail']}")
    if ctl_num is not None and out["appl_error"] is not None:
        ck.check(out["appl_error"][1] == ctl_num, f"{key}:ctlnum",
                 f"{what}: LastApplError ctlNum {out['appl_error'][1]}, expected the command's {ctl_num}")
    if write_error is not None and out["write_error"] is not None:
        ck.check(out["write_error"] == write_error, f"{key}:write-error",
                 f"{what}: write refused as {out['write_error']}, expected {write_error}")
    ck.check(out["termination"] is None and out["late"] is None, f"{key}:no-termination",
             f"{what}: a CommandTermination followed the refused write: {out['termination']} {out['late']}")


def skip_apc(kind: str) -> None:
    if not CLIENTS[kind].supports_apc:
        pytest.skip("iec61850 0.14's ControlObjectClient sends ctlVal as a bare MMS value (bool/int/float); "
                    "APC's ctlVal is AnalogueValue {f}, which it cannot send")


# ------------------------------------------------------------------------------ every CDC in every model
@clients
@pytest.mark.parametrize("cdc", list(CDC))
def test_operate_every_model_and_status_follows(control_server, kind, cdc):
    if cdc == "APC":
        skip_apc(kind)
    fmt, _, fc, values, expects, _ = CDC[cdc]

    def body(c):
        out = {}
        for n in (1, 2, 3, 4):
            obj = fmt.format(n=n)
            rec = out[n] = {"model": c.control_model(obj), "runs": []}
            ident = OR_IDENT + str(n).encode()
            c.set_origin(obj, OR_CAT, ident)
            for i, (value, expected) in enumerate(zip(values, expects)):
                counter = 10 * n + 100 * i
                c.set_ctl_num(obj, counter)  # every model's command then carries counter + 1
                started = time.time()
                steps = sequence(c, obj, n, value)
                matched, got, seconds = wait_status(c, obj, cdc, expected)
                rec["runs"].append(dict(
                    value=value, expected=expected, ctl_num=(counter + 1) % 256, ident=ident, started=started,
                    steps=steps, matched=matched, got=got, seconds=seconds,
                    q=c.read(f"{obj}.q", fc), t=c.read(f"{obj}.t", fc),
                    st_ctl_num=c.read(f"{obj}.ctlNum", "ST"), st_origin=c.read(f"{obj}.origin", "ST")))
        return out

    o = session(kind, control_server, body)
    ck = Checker()
    for n, rec in o.items():
        obj = fmt.format(n=n)
        ck.check(rec["model"] == n, "ctl:model", f"{obj}: the client reads ctlModel {rec['model']}, SCL {n}")
        for run in rec["runs"]:
            what = f"{obj} ({MODEL_NAMES[n]}) ctlVal {run['value']!r}"
            for step, out in run["steps"].items():
                accepted(ck, f"ctl:{step}", f"{what}: {step}", out)
            op = run["steps"]["operate"]
            if n in (3, 4) and op["ok"]:
                ck.check(op["termination"] == "positive", "ctl:termination",
                         f"{what}: CommandTermination {op['termination']}, expected positive: {op['detail']}")
            ck.check(run["matched"], "ctl:status",
                     f"{what}: status {run['got']!r} after {run['seconds']} s, expected {run['expected']!r}")
            if not run["matched"]:
                continue
            ck.check(bits_match(run["q"], GOOD), "ctl:status:q", f"{what}: q {run['q']!r}, expected good")
            try:
                t = utc_ms(run["t"])
            except TypeError:
                t = None
            ck.check(t is not None and run["started"] * 1000 - 1000 <= t <= time.time() * 1000 + 1000, "ctl:status:t",
                     f"{what}: t {run['t']!r} ({t}) is not the time of the control ({run['started'] * 1000:.0f})")
            ck.check(run["st_ctl_num"] == run["ctl_num"], "ctl:status:ctlnum",
                     f"{what}: ST ctlNum {run['st_ctl_num']!r}, expected the command's {run['ctl_num']}")
            ck.check(run["st_origin"] == [OR_CAT, run["ident"]], "ctl:status:origin",
                     f"{what}: ST origin {run['st_origin']!r}, expected the command's [{OR_CAT}, {run['ident']!r}]")
    ck.finish()


# ------------------------------------------------------------------------------ refusals
@clients
def test_operate_without_select_is_refused(control_server, kind):
    cases = [(SPC2, "SPC", 2, True), (SPC4, "SPC", 4, True), (f"{LD}/GGIO3.Pos2", "DPC", 2, True),
             (f"{LD}/GGIO3.IntCtl4", "INC", 4, 9)]

    def body(c):
        out = {}
        for obj, cdc, _, value in cases:
            c.set_ctl_num(obj, 33)  # an Oper of an SBO model sends the counter as it is
            out[obj] = {"operate": c.operate(obj, value), "status": quiet_status(c, obj, cdc)}
        return out

    o = session(kind, control_server, body)
    ck = Checker()
    for obj, cdc, n, _ in cases:
        what = f"{obj} ({MODEL_NAMES[n]}): Oper without a select"
        refused(ck, "ctl:not-selected", what, o[obj]["operate"], OBJECT_NOT_SELECTED, "access-denied", ctl_num=33)
        initial = CDC[cdc][5]
        ck.check(status_ok(o[obj]["status"], initial), "ctl:not-selected:status",
                 f"{what}: status {o[obj]['status']!r} after the refusal, expected unchanged {initial!r}")
    ck.finish()


@clients
def test_select_by_one_client_blocks_another(control_server, kind):
    def body(c):
        b = second(c)
        r = {}
        try:
            # SBO with normal security
            r["a-select"] = c.select(SPC2)
            r["b-select"] = b.select(SPC2)
            b.set_ctl_num(SPC2, 70)
            r["b-operate"] = b.operate(SPC2, True)
            r["b-cancel"] = b.cancel(SPC2, True)
            r["a-operate"] = c.operate(SPC2, True)
            r["status2"] = wait_status(c, SPC2, "SPC", True)
            r["b-select-free"] = b.select(SPC2)  # operate-once: the operate released it
            r["b-cancel-own"] = b.cancel(SPC2, True)
            # SBO with enhanced security
            r["a-sbow"] = c.select_with_value(SPC4, True)
            b.set_ctl_num(SPC4, 80)
            r["b-sbow"] = b.select_with_value(SPC4, True)  # ctlNum 81
            r["b-operate4"] = b.operate(SPC4, True)  # ctlNum 81
            r["a-operate4"] = c.operate(SPC4, True)
            r["status4"] = wait_status(c, SPC4, "SPC", True)
        finally:
            b.close()
        return r

    r = session(kind, control_server, body)
    ck = Checker()
    accepted(ck, "ctl:select", f"{SPC2}: select by client A", r["a-select"])
    ck.check(not r["b-select"]["ok"], "ctl:select:other",
             f"{SPC2}: client B's select (SBO read) succeeded while A holds the selection: {r['b-select']}")
    refused(ck, "ctl:locked", f"{SPC2}: B's Oper while A holds the selection", r["b-operate"], LOCKED_BY_OTHER_CLIENT,
            "temporarily-unavailable", ctl_num=70)
    refused(ck, "ctl:locked", f"{SPC2}: B's Cancel while A holds the selection", r["b-cancel"], LOCKED_BY_OTHER_CLIENT,
            "temporarily-unavailable", ctl_num=70)
    accepted(ck, "ctl:operate", f"{SPC2}: A's Oper after B's refused attempts", r["a-operate"])
    ck.check(r["status2"][0], "ctl:status", f"{SPC2}: status {r['status2']} after A's Oper, expected True")
    accepted(ck, "ctl:select", f"{SPC2}: B's select after A's operate-once Oper", r["b-select-free"])
    accepted(ck, "ctl:cancel", f"{SPC2}: B's Cancel of its own selection", r["b-cancel-own"])
    accepted(ck, "ctl:select", f"{SPC4}: SBOw by client A", r["a-sbow"])
    refused(ck, "ctl:already-selected", f"{SPC4}: B's SBOw while A holds the selection", r["b-sbow"],
            OBJECT_ALREADY_SELECTED, "temporarily-unavailable", ctl_num=81)
    refused(ck, "ctl:locked", f"{SPC4}: B's Oper while A holds the selection", r["b-operate4"], LOCKED_BY_OTHER_CLIENT,
            "temporarily-unavailable", ctl_num=81)
    accepted(ck, "ctl:operate", f"{SPC4}: A's Oper after B's refused attempts", r["a-operate4"])
    if r["a-operate4"]["ok"]:
        ck.check(r["a-operate4"]["termination"] == "positive", "ctl:termination",
                 f"{SPC4}: CommandTermination {r['a-operate4']['termination']}, expected positive")
    ck.check(r["status4"][0], "ctl:status", f"{SPC4}: status {r['status4']} after A's Oper, expected True")
    ck.finish()


@clients
def test_cancel_releases_the_selection(control_server, kind):
    def body(c):
        b = second(c)
        r = {}
        try:
            r["select"] = c.select(SPC2)
            r["cancel"] = c.cancel(SPC2, True)
            c.set_ctl_num(SPC2, 40)
            r["operate-cancelled"] = c.operate(SPC2, True)  # no longer selected
            r["status"] = quiet_status(c, SPC2, "SPC")
            r["b-select"] = b.select(SPC2)
            r["b-cancel"] = b.cancel(SPC2, True)
            r["sbow"] = c.select_with_value(SPC4, True)
            r["cancel4"] = c.cancel(SPC4, True)
            r["b-sbow"] = b.select_with_value(SPC4, True)
            r["b-cancel4"] = b.cancel(SPC4, True)
            r["status4"] = quiet_status(c, SPC4, "SPC")
        finally:
            b.close()
        return r

    r = session(kind, control_server, body)
    ck = Checker()
    accepted(ck, "ctl:select", f"{SPC2}: select", r["select"])
    accepted(ck, "ctl:cancel", f"{SPC2}: Cancel of the own selection", r["cancel"])
    refused(ck, "ctl:cancel:deselects", f"{SPC2}: Oper after Cancel", r["operate-cancelled"], OBJECT_NOT_SELECTED,
            "access-denied", ctl_num=40)
    ck.check(r["status"] is False, "ctl:cancel:status", f"{SPC2}: status {r['status']!r} after a cancelled command")
    accepted(ck, "ctl:cancel:released", f"{SPC2}: another client's select after the Cancel", r["b-select"])
    accepted(ck, "ctl:cancel", f"{SPC2}: the other client's Cancel", r["b-cancel"])
    accepted(ck, "ctl:select", f"{SPC4}: SBOw", r["sbow"])
    accepted(ck, "ctl:cancel", f"{SPC4}: Cancel of the own selection", r["cancel4"])
    accepted(ck, "ctl:cancel:released", f"{SPC4}: another client's SBOw after the Cancel", r["b-sbow"])
    accepted(ck, "ctl:cancel", f"{SPC4}: the other client's Cancel", r["b-cancel4"])
    ck.check(r["status4"] is False, "ctl:cancel:status", f"{SPC4}: status {r['status4']!r} after cancelled commands")
    ck.finish()


@clients
def test_wrong_ctl_num_or_value_in_enhanced_mode_is_refused(control_server, kind):
    pos4 = f"{LD}/GGIO3.Pos4"

    def body(c):
        r = {}
        c.set_ctl_num(SPC4, 50)
        r["sbow"] = c.select_with_value(SPC4, True)  # ctlNum 51
        c.set_ctl_num(SPC4, 60)
        r["operate-wrong"] = c.operate(SPC4, True)  # ctlNum 60
        r["status-wrong"] = quiet_status(c, SPC4, "SPC")
        c.set_ctl_num(SPC4, 51)
        r["operate-after"] = c.operate(SPC4, True)  # the refusal deselected the object
        c.set_ctl_num(SPC4, 90)
        r["sbow2"] = c.select_with_value(SPC4, True)  # ctlNum 91
        r["operate2"] = c.operate(SPC4, True)
        r["status2"] = wait_status(c, SPC4, "SPC", True)
        r["st-ctl-num"] = c.read(f"{SPC4}.ctlNum", "ST")
        # another ctlVal than the SBOw's
        c.set_ctl_num(pos4, 20)
        r["pos-sbow"] = c.select_with_value(pos4, True)  # ctlNum 21
        r["pos-operate-other-value"] = c.operate(pos4, False)
        r["pos-status"] = quiet_status(c, pos4, "DPC")
        return r

    r = session(kind, control_server, body)
    ck = Checker()
    accepted(ck, "ctl:select", f"{SPC4}: SBOw with ctlNum 51", r["sbow"])
    refused(ck, "ctl:ctlnum", f"{SPC4}: Oper with ctlNum 60 after SBOw with 51", r["operate-wrong"],
            INCONSISTENT_PARAMETERS, "access-denied", ctl_num=60)
    ck.check(r["status-wrong"] is False, "ctl:ctlnum:status", f"{SPC4}: status {r['status-wrong']!r} after the refused Oper")
    refused(ck, "ctl:ctlnum:deselect", f"{SPC4}: Oper with the SBOw's ctlNum 51 after the inconsistent one",
            r["operate-after"], OBJECT_NOT_SELECTED, "access-denied", ctl_num=51)
    accepted(ck, "ctl:select", f"{SPC4}: a new SBOw (ctlNum 91)", r["sbow2"])
    accepted(ck, "ctl:operate", f"{SPC4}: Oper with the SBOw's ctlNum 91", r["operate2"])
    ck.check(r["status2"][0], "ctl:status", f"{SPC4}: status {r['status2']} after the consistent command, expected True")
    ck.check(r["st-ctl-num"] == 91, "ctl:status:ctlnum", f"{SPC4}: ST ctlNum {r['st-ctl-num']!r}, expected 91")
    accepted(ck, "ctl:select", f"{pos4}: SBOw ctlVal on", r["pos-sbow"])
    refused(ck, "ctl:ctlval", f"{pos4}: Oper ctlVal off after SBOw ctlVal on", r["pos-operate-other-value"],
            INCONSISTENT_PARAMETERS, "access-denied", ctl_num=21)
    ck.check(status_ok(r["pos-status"], "01"), "ctl:ctlval:status", f"{pos4}: status {r['pos-status']!r}, expected off (01)")
    ck.finish()


# ------------------------------------------------------------------------------ failing execution
@clients
def test_failing_control_lastapplerror_and_negative_termination(control_server, kind):
    srv = control_server

    def body(c):
        r = {}
        for n in (1, 2, 3, 4):
            obj = f"{LD}/GGIO1.SPCSO{n}"
            srv.set(f"fail {server_ref(obj)} {BLOCKED_BY_INTERLOCKING}")
            c.set_ctl_num(obj, 10 * n)  # the command carries 10n + 1
            r[n] = {"failing": sequence(c, obj, n, True), "status": quiet_status(c, obj, "SPC")}
            srv.set(f"accept {server_ref(obj)}")
            r[n]["accepted"] = sequence(c, obj, n, True)
            r[n]["status-accepted"] = wait_status(c, obj, "SPC", True)
        return r

    r = session(kind, srv, body)
    ck = Checker()
    for n, rec in r.items():
        obj = f"{LD}/GGIO1.SPCSO{n}"
        what = f"{obj} ({MODEL_NAMES[n]}) failing with AddCause {cause_text(BLOCKED_BY_INTERLOCKING)}"
        for step, out in rec["failing"].items():
            if step != "operate":
                accepted(ck, "ctl:fail:select", f"{what}: {step}", out)
        op = rec["failing"]["operate"]
        ck.check(not op["ok"], "ctl:fail", f"{what}: the command succeeded: {op}")
        if n in (1, 2):  # normal security: the Oper is refused with LastApplError
            refused(ck, "ctl:fail", f"{what}: Oper", op, BLOCKED_BY_INTERLOCKING, ctl_num=10 * n + 1)
        else:  # enhanced: positive Oper response, then CommandTermination- with LastApplError
            ck.check(op["write_ok"] in (True, None), "ctl:fail:write",
                     f"{what}: the Oper write was refused, expected accepted and a negative CommandTermination: {op['detail']}")
            ck.check(op["termination"] == "negative", "ctl:fail:termination",
                     f"{what}: CommandTermination {op['termination']}, expected negative: {op['detail']}")
            ck.check(op["add_cause"] == BLOCKED_BY_INTERLOCKING, "ctl:fail:addcause",
                     f"{what}: AddCause {cause_text(op['add_cause'])} of the negative CommandTermination: {op['detail']}")
            if op["appl_error"] is not None:
                ck.check(op["appl_error"][1] == 10 * n + 1, "ctl:fail:ctlnum",
                         f"{what}: LastApplError ctlNum {op['appl_error'][1]}, expected the command's {10 * n + 1}")
            ck.check(op["late"] is None, "ctl:late-termination", f"{what}: extra CommandTerminations {op['late']}")
        ck.check(rec["status"] is False, "ctl:fail:status", f"{what}: status {rec['status']!r}, expected unchanged False")
        for step, out in rec["accepted"].items():
            accepted(ck, "ctl:accept", f"{obj} after 'accept': {step}", out)
        ck.check(rec["status-accepted"][0], "ctl:accept:status",
                 f"{obj} after 'accept': status {rec['status-accepted']}, expected True")
    ck.finish()


# ------------------------------------------------------------------------------ reports
@clients
def test_control_triggered_reports(control_server, kind):
    ctl_set = f"{LLN0}.CtlSet"
    members = [f"{LD}/GGIO1.SPCSO1.stVal[ST]", f"{LD}/GGIO1.SPCSO3.stVal[ST]", f"{LD}/GGIO3.Pos1.stVal[ST]",
               f"{LD}/GGIO3.IntCtl1.stVal[ST]"]
    commands = [(f"{LD}/GGIO1.SPCSO1", True, True), (f"{LD}/GGIO1.SPCSO3", True, True),
                (f"{LD}/GGIO3.Pos1", True, "10"), (f"{LD}/GGIO3.IntCtl1", 7, 7)]

    def body(c):
        r = {}
        c.create_data_set(ctl_set, members)
        c.set_rcb(URCB, DatSet=f"{LD}/LLN0$CtlSet")
        rpt_id = c.rcb_values(URCB)["RptID"]
        c.subscribe(URCB, rpt_id)
        c.set_rcb(URCB, RptEna=True)
        for obj, value, _ in commands:
            r[obj] = {"operate": c.operate(obj, value), "reports": reports_for(c, 1)}
        c.set_rcb(URCB, RptEna=False)
        c.unsubscribe()
        return rpt_id, r

    rpt_id, r = session(kind, control_server, body)
    ck = Checker()
    for index, (obj, value, expected) in enumerate(commands):
        op, reps = r[obj]["operate"], r[obj]["reports"]
        accepted(ck, "ctl:operate", f"{obj} ctlVal {value!r}", op)
        ck.check(len(reps) == 1, "ctl:report",
                 f"{obj} ctlVal {value!r}: {len(reps)} reports on {URCB} (data set {members}), expected 1: {brief(reps)}")
        if not reps:
            continue
        rep = reps[0]
        ck.check("error" not in rep, "ctl:report", f"{obj}: the adapter failed on a report: {rep.get('error')}")
        inc = rep["included"]
        ck.check(inc == [index] if rep["inclusion_exact"] else index in inc, "ctl:report",
                 f"{obj}: report includes members {inc}, expected [{index}] ({members[index]}): {brief(reps)}")
        got = rep["values"].get(index)
        ck.check(status_ok(got, expected), "ctl:report:value", f"{obj}: reported {got!r}, expected {expected!r}")
        ck.check(rep["reasons"].get(index) == ["dchg"], "ctl:report:reason",
                 f"{obj}: reason {rep['reasons'].get(index)}, expected ['dchg']")
        ck.check(rep["rpt_id"] == rpt_id, "ctl:report", f"{obj}: RptID {rep['rpt_id']!r}, expected {rpt_id!r}")
    ck.finish()
