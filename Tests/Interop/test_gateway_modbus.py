"""Gateway end to end (issue 5, "How we know it works"): a real Modbus TCP device behind the gateway,
seen by both IEC 61850 client libraries.

Every test starts its own bundled Modbus TCP server (.build/debug/modbus-simulator, values set with
"set TABLE ADDRESS TYPE VALUE [BYTE-ORDER [WORD-ORDER]]" lines on its stdin, answered "ok" or
"error ...") and its own gateway (.build/debug/iec61850-gateway run --config FILE) on the demo IED,
with the configuration CONFIG below written to a temporary directory. Both listen on 127.0.0.1, on
free ports; both are stopped after the test, also when it fails (their logs are then printed).

What is checked, with each client library (libIEC61850 through pyiec61850-ng, and the Rust iec61850):
  - reads: scaling and offset, byte and word orders (16/32/64-bit integers, float32/64, a string),
    a value map to Dbpos, a bit of a register, a coil, an inverted discrete input; the value types;
    q good and t of the acquisition; a value out of the attribute's range gives q invalid|outOfRange;
  - reports: the SCL data set Events (Ind1..4 fed by coils, a register bit and discrete inputs) on
    urcbEvents01, and a client-created data set over scaled and mapped points on urcbEvents02: a value
    written to the simulator arrives as one report with its reason; the device's death as a qchg report;
  - a device that dies (SIGTERM) or hangs (SIGSTOP) turns q invalid|failure (or questionable|failure|
    oldData with on-failure: questionable) within about a second while the last value stays, a control
    meanwhile fails with abortion-by-communication-loss, and a restarted (same port) or resumed device
    brings q good and new values back, with one client association and no gateway restart;
  - controls routed to the device: the written coil/register is read back with a Modbus request of the
    test's own (modbus_read); a route whose status confirms succeeds (direct-normal, SBO-enhanced,
    direct-enhanced DPC through value maps), one whose status never follows fails with time-limit-over
    (AddCause 16: LastApplError for normal security, negative CommandTermination for enhanced), and one
    whose status is confirmed by the device itself during the confirmation time succeeds.

Client limits (see clients.py): the Rust client exposes no AddCause for a refused normal-security Oper,
so that AddCause is checked with libIEC61850 only. The libIEC61850 client must not call the server while
a report can arrive, so the report tests read only before the report control block is enabled.

Run (needs .build/debug/iec61850-gateway and modbus-simulator; about 25 s):
    python3 -m pytest Tests/Interop/test_gateway_modbus.py -q
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import time

import pytest

from clients import CLIENTS
from conftest import REPO, SCL, Checker, ReportServer, _free_port, _stop_server, collect_client, run_client, spawn_client
from test_controls import cause_text
from test_interop import bits_match, utc_ms
from test_reports import brief, reports_for

GATEWAY = os.path.join(REPO, ".build", "debug", "iec61850-gateway")
SIMULATOR = os.path.join(REPO, ".build", "debug", "modbus-simulator")
GEN, MEAS = "DEMOGenericIO", "DEMOMeasurement"
SESSION = 40.0  # s: hard limit of one client session

TIMEOUT_MS, RETRY_MS, POLL_MS = 200, 300, 100
FAIL_WITHIN = 1.0  # s from the device's death (or hang) to q invalid|failure at the client
RECOVER_WITHIN = 1.5  # s from the device's return to q good and the new value at the client

# quality bit strings (bit 0 first): validity 00 good, 01 invalid, 11 questionable; detail bits
# 3 outOfRange, 6 failure, 7 oldData
GOOD = "0000000000000"
INVALID_FAILURE = "0100001000000"
QUESTIONABLE_FAILURE_OLD = "1100001100000"
INVALID_OUT_OF_RANGE = "0101000000000"
TIME_LIMIT_OVER, COMMUNICATION_LOSS = 16, 23

CONFIG = """\
model: {{scl: {scl}}}
modbus:
  - name: dev
    tcp: 127.0.0.1:{port}
    word-order: little
    timeout-ms: {timeout}
    retry-ms: {retry}
points:
  # reads -----------------------------------------------------------------------------------------
  - ref: Measurement/MMXU1.TotW               # float32, device orders (bytes big, words little), kW -> W
    poll-ms: {poll}
    modbus: {{device: dev, table: input, address: 52, type: float32}}
    scale: 1000
  - ref: Measurement/MMXU1.Hz                 # float32, the point's own orders
    poll-ms: {poll}
    modbus: {{device: dev, table: input, address: 70, type: float32, byte-order: little, word-order: big}}
  - ref: Measurement/MMXU1.PhV.phsA.cVal.mag.f  # uint16 * 0.1 - 10
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 300, type: uint16}}
    scale: 0.1
    offset: -10
  - ref: GenericIO/GGIO2.AllTypes.int16St     # INT16 from a negative int16
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 100, type: int16}}
  - ref: GenericIO/GGIO2.AllTypes.int8St      # INT8 from an int16 with its bytes swapped
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 101, type: int16, byte-order: little}}
  - ref: GenericIO/GGIO1.IntIn1               # INT32 stVal from a uint32, low word first
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 102, type: uint32}}
  - ref: GenericIO/GGIO2.AllTypes.int32uSp    # INT32U from a uint32, high word first
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 104, type: uint32, word-order: big}}
  - ref: GenericIO/GGIO2.AllTypes.int64Mx     # INT64, bytes little, words big
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 106, type: int64, byte-order: little, word-order: big}}
  - ref: GenericIO/GGIO2.AllTypes.f64Mx       # FLOAT64, device orders
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 110, type: float64}}
  - ref: GenericIO/GGIO2.AllTypes.vs32Dc      # VisString32 from 16 characters (8 registers)
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 130, type: string, length: 16}}
  - ref: GenericIO/GGIO3.Pos1                 # Dbpos through a value map
    poll-ms: {poll}
    modbus: {{device: dev, table: input, address: 10, type: uint16}}
    map: {{0: intermediate, 1: off, 2: on, 3: bad}}
  - ref: GenericIO/GGIO1.Ind1                 # a coil
    poll-ms: {poll}
    modbus: {{device: dev, table: coil, address: 5}}
  - ref: GenericIO/GGIO1.Ind2                 # bit 3 of a holding register
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 120, type: uint16, bit: 3}}
  - ref: GenericIO/GGIO1.Ind3                 # an inverted discrete input
    poll-ms: {poll}
    modbus: {{device: dev, table: discrete-input, address: 7}}
    invert: true
  - ref: GenericIO/GGIO1.Ind4                 # questionable (not invalid) while the device fails
    poll-ms: {poll}
    modbus: {{device: dev, table: discrete-input, address: 8}}
    on-failure: questionable
  # controls --------------------------------------------------------------------------------------
  - ref: GenericIO/GGIO1.SPCSO1               # direct-normal: writes coil 12, confirmed by coil 12
    poll-ms: {poll}
    modbus: {{device: dev, table: coil, address: 12}}
    control: {{modbus: {{device: dev, table: coil, address: 12}}, confirm-ms: 2000}}
  - ref: GenericIO/GGIO1.SPCSO2               # SBO-normal: writes coil 21, status from coil 20: never confirmed
    poll-ms: {poll}
    modbus: {{device: dev, table: coil, address: 20}}
    control: {{modbus: {{device: dev, table: coil, address: 21}}, confirm-ms: 500}}
  - ref: GenericIO/GGIO1.SPCSO3               # direct-enhanced: writes coil 31, confirmed only if coil 30 follows
    poll-ms: {poll}
    modbus: {{device: dev, table: coil, address: 30}}
    control: {{modbus: {{device: dev, table: coil, address: 31}}, confirm-ms: 1500}}
  - ref: GenericIO/GGIO1.SPCSO4               # SBO-enhanced: writes coil 14, confirmed by coil 14
    poll-ms: {poll}
    modbus: {{device: dev, table: coil, address: 14}}
    control: {{modbus: {{device: dev, table: coil, address: 14}}, confirm-ms: 2000}}
  - ref: GenericIO/GGIO3.Pos3                 # DPC direct-enhanced: on/off -> register 40 = 2/1, mapped back
    poll-ms: {poll}
    modbus: {{device: dev, table: holding, address: 40, type: uint16}}
    map: {{0: intermediate, 1: off, 2: on, 3: bad}}
    control:
      modbus: {{device: dev, table: holding, address: 40}}
      map: {{true: 2, false: 1}}
      confirm-ms: 2000
"""

clients = pytest.mark.parametrize("kind", list(CLIENTS))


# ------------------------------------------------------------------------------ processes
class Simulator(ReportServer):
    """The bundled Modbus TCP server; set() sends one stdin line and waits for "ok" (ReportServer.set).
    stop()/start() kill it and start a new one on the same port; pause()/resume() hang it."""

    def __init__(self, port: int, log: str) -> None:
        self.log = log
        self.port = port
        super().__init__(None, "127.0.0.1", port)
        self.start()

    def start(self) -> None:
        if not os.access(SIMULATOR, os.X_OK):
            pytest.fail(f"{SIMULATOR} is missing; build it (swift build)")
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen([SIMULATOR, "--port", str(self.port), "--bind", "127.0.0.1"], cwd=REPO,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, start_new_session=True)
        self._pending = b""
        wait_accepting(self.proc, self.port, "modbus-simulator")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)  # in case it is paused
            except ProcessLookupError:
                pass
        if self.proc is not None:
            _stop_server(self.proc)  # closes the pipes, SIGTERM, SIGKILL after 5 s

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


class Gateway:
    def __init__(self, proc: subprocess.Popen, port: int, log: str) -> None:
        self.proc, self.host, self.port, self.log, self.password = proc, "127.0.0.1", port, log, None


def wait_accepting(proc: subprocess.Popen, port: int, what: str, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode} before accepting on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not accept on port {port} within {limit:.0f} s")
            time.sleep(0.05)


def tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
    except OSError as e:
        return f"({e})"


def start_gateway(config, tmp_path, env_extra: dict | None = None, extra_args: list | None = None) -> Gateway:
    """`iec61850-gateway run --config CONFIG` on a free loopback port, logging to tmp_path/gateway.log,
    its event log in tmp_path/events.sqlite; returns once it accepts connections."""
    port = _free_port()
    log = str(tmp_path / "gateway.log")
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no", **(env_extra or {}))
    with open(log, "ab") as err:
        proc = subprocess.Popen([GATEWAY, "run", "--config", str(config), "--port", str(port), "--bind", "127.0.0.1",
                                 "--event-log", str(tmp_path / "events.sqlite"), *(extra_args or [])],
                                cwd=REPO, env=env, stdout=err, stderr=err, start_new_session=True)
    gw = Gateway(proc, port, log)
    wait_accepting(proc, port, "iec61850-gateway")
    return gw


@pytest.fixture()
def modbus_gateway(tmp_path):
    """(gateway, simulator): a Modbus simulator and a gateway on CONFIG polling it, both of the test's own."""
    if not os.access(GATEWAY, os.X_OK):
        pytest.fail(f"{GATEWAY} is missing; build it (swift build)")
    sim = Simulator(_free_port(), str(tmp_path / "simulator.log"))
    gw = None
    try:
        config = tmp_path / "gateway.yaml"
        config.write_text(CONFIG.format(scl=SCL, port=sim.port, timeout=TIMEOUT_MS, retry=RETRY_MS, poll=POLL_MS))
        check = subprocess.run([GATEWAY, "validate", "--config", str(config)], cwd=REPO, capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            pytest.fail(f"iec61850-gateway validate refused the test configuration:\n{check.stdout}{check.stderr}")
        gw = start_gateway(config, tmp_path)
        yield gw, sim
    finally:
        if gw is not None:
            _stop_server(gw.proc)
        sim.stop()
        # shown by pytest with a failing test's captured output
        print(f"--- gateway log ({tmp_path}) ---\n{tail(str(tmp_path / 'gateway.log'))}")
        print(f"--- simulator log ---\n{tail(str(tmp_path / 'simulator.log'))}")


# ------------------------------------------------------------------------------ helpers
def modbus_read(port: int, table: str, address: int, count: int = 1, timeout: float = 2.0) -> list:
    """Read the simulator with a Modbus TCP request of our own (function 1, 2, 3 or 4):
    coils and discrete inputs as bools, registers as 16-bit unsigned integers."""
    function = {"coil": 1, "discrete-input": 2, "holding": 3, "input": 4}[table]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">HHHBBHH", 0x4711, 0, 6, 1, function, address, count))

        def exactly(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = s.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("the Modbus server closed the connection")
                data += chunk
            return data

        transaction, _, length, _ = struct.unpack(">HHHB", exactly(7))
        pdu = exactly(length - 1)
    if transaction != 0x4711:
        raise RuntimeError(f"Modbus answer to transaction {transaction:#x}")
    if pdu[0] & 0x80:
        raise RuntimeError(f"Modbus exception {pdu[1]} for function {function} at {table} {address}")
    data = pdu[2:2 + pdu[1]]
    if function in (1, 2):
        return [bool(data[i // 8] >> (i % 8) & 1) for i in range(count)]
    return list(struct.unpack(f">{count}H", data))


def matches(got, expected) -> bool:
    """expected: a bit string text (quality, Dbpos), a float (compared to float32 precision) or an
    exact value of an exact type."""
    if isinstance(expected, str) and set(expected) <= {"0", "1"} and len(expected) in (2, 13):
        try:
            return bits_match(got, expected)
        except TypeError:
            return False
    if isinstance(expected, float):
        return isinstance(got, float) and abs(got - expected) <= 1e-6 * max(1.0, abs(expected))
    return got == expected and type(got) is type(expected)


def sim_lines(sim, lines) -> None:
    for line in lines:
        sim.set(line)


def wait_values(c, expected: dict, limit: float = 3.0) -> tuple[bool, dict, float]:
    """Read every (ref, fc) of expected until all match (or limit s): (all matched, last values, s)."""
    started = time.monotonic()
    while True:
        got = {}
        for (ref, fc) in expected:
            try:
                got[(ref, fc)] = c.read(ref, fc)
            except Exception as e:  # noqa: BLE001  (recorded and shown in the message)
                got[(ref, fc)] = f"read failed: {e}"
        ok = all(matches(got[k], v) for k, v in expected.items())
        if ok or time.monotonic() - started > limit:
            return ok, got, round(time.monotonic() - started, 3)
        time.sleep(0.05)


def check_values(ck: Checker, key: str, what: str, result, expected: dict) -> None:
    ok, got, seconds = result
    for k, v in expected.items():
        ref, fc = k
        ck.check(matches(got[k], v), key, f"{what}: {ref} [{fc}] = {got[k]!r} ({type(got[k]).__name__}) after {seconds} s, "
                                          f"expected {v!r} ({type(v).__name__})")


# ------------------------------------------------------------------------------ reads
TOTW, HZ, PHV = (f"{MEAS}/MMXU1.TotW.mag.f", "MX"), (f"{MEAS}/MMXU1.Hz.mag.f", "MX"), (f"{MEAS}/MMXU1.PhV.phsA.cVal.mag.f", "MX")
TOTW_Q, TOTW_T = (f"{MEAS}/MMXU1.TotW.q", "MX"), (f"{MEAS}/MMXU1.TotW.t", "MX")
INT16, INT8 = (f"{GEN}/GGIO2.AllTypes.int16St", "ST"), (f"{GEN}/GGIO2.AllTypes.int8St", "ST")
INTIN, INTIN_Q = (f"{GEN}/GGIO1.IntIn1.stVal", "ST"), (f"{GEN}/GGIO1.IntIn1.q", "ST")
U32, I64 = (f"{GEN}/GGIO2.AllTypes.int32uSp", "SP"), (f"{GEN}/GGIO2.AllTypes.int64Mx", "MX")
F64, VS = (f"{GEN}/GGIO2.AllTypes.f64Mx", "MX"), (f"{GEN}/GGIO2.AllTypes.vs32Dc", "DC")
POS1, POS1_Q = (f"{GEN}/GGIO3.Pos1.stVal", "ST"), (f"{GEN}/GGIO3.Pos1.q", "ST")
IND = [(f"{GEN}/GGIO1.Ind{i}.stVal", "ST") for i in range(5)]  # IND[1]..IND[4]
IND_Q = [(f"{GEN}/GGIO1.Ind{i}.q", "ST") for i in range(5)]

READ_ROUNDS = [
    ("first values", [
        "set input 52 float32 1.5 big little", "set input 70 float32 49.875 little big", "set holding 300 uint16 2405",
        "set holding 100 int16 -1234", "set holding 101 int16 -100 little", "set holding 102 uint32 70000 big little",
        "set holding 104 uint32 4000000000 big big", "set holding 106 int64 -9000000000 little big",
        "set holding 110 float64 2.718281828459045 big little", "set holding 130 string gw-ok",
        "set input 10 uint16 2", "set coil 5 bool true", "set holding 120 uint16 8", "set discrete-input 7 bool true",
        "set discrete-input 8 bool true",
    ], {
        TOTW: 1500.0, HZ: 49.875, PHV: 230.5, INT16: -1234, INT8: -100, INTIN: 70000, U32: 4000000000,
        I64: -9000000000, F64: 2.718281828459045, VS: "gw-ok", POS1: "10", IND[1]: True, IND[2]: True, IND[3]: False,
        IND[4]: True, TOTW_Q: GOOD, INTIN_Q: GOOD, POS1_Q: GOOD, IND_Q[1]: GOOD, IND_Q[2]: GOOD,
    }),
    ("second values", [
        "set input 52 float32 -0.125 big little", "set input 70 float32 50.5 little big", "set holding 300 uint16 0",
        "set holding 100 int16 -32768", "set holding 101 int16 127 little", "set holding 102 uint32 2147483647 big little",
        "set holding 104 uint32 65536 big big", "set holding 106 int64 1 little big",
        "set holding 110 float64 -1e300 big little", "set holding 130 string gw-second",
        "set input 10 uint16 3", "set coil 5 bool false", "set holding 120 uint16 65527", "set discrete-input 7 bool false",
        "set discrete-input 8 bool false",
    ], {
        TOTW: -125.0, HZ: 50.5, PHV: -10.0, INT16: -32768, INT8: 127, INTIN: 2147483647, U32: 65536, I64: 1,
        F64: -1e300, VS: "gw-second", POS1: "11", IND[1]: False, IND[2]: False, IND[3]: True, IND[4]: False,
        TOTW_Q: GOOD, INTIN_Q: GOOD,
    }),
    ("a uint32 beyond INT32", ["set holding 102 uint32 3000000000 big little"], {INTIN_Q: INVALID_OUT_OF_RANGE}),
    ("back in range", ["set holding 102 uint32 123456 big little", "set input 10 uint16 0"],
     {INTIN: 123456, INTIN_Q: GOOD, POS1: "00"}),
]


@clients
def test_reads_scaling_types_and_orders(modbus_gateway, kind):
    gw, sim = modbus_gateway

    def body(c):
        out = []
        for what, lines, expected in READ_ROUNDS:
            sim_lines(sim, lines)
            set_at = time.time()
            out.append((what, lines, expected, wait_values(c, expected), set_at, c.read(*TOTW_T)))
        return out

    rounds = run_client(kind, gw, body, timeout=SESSION)
    ck = Checker()
    for what, lines, expected, result, set_at, t in rounds:
        check_values(ck, "gw:read", f"{what} ({'; '.join(lines)})", result, expected)
        if what in ("first values", "second values") and result[0]:
            try:
                ms = utc_ms(t)
            except TypeError:
                ms = None
            ck.check(ms is not None and set_at * 1000 - 1000 <= ms <= time.time() * 1000 + 1000, "gw:read:t",
                     f"{what}: TotW.t {t!r} ({ms}) is not the time of the acquisition (~{set_at * 1000:.0f})")
    ck.finish()


# ------------------------------------------------------------------------------ reports
LLN0 = f"{GEN}/LLN0"
URCB1, URCB2 = f"{LLN0}.RP.urcbEvents01", f"{LLN0}.RP.urcbEvents02"
EVENTS_DATSET = f"{GEN}/LLN0$Events"
GWSET, GWSET_DATSET = f"{LLN0}.GwSet", f"{GEN}/LLN0$GwSet"
GWSET_MEMBERS = [f"{MEAS}/MMXU1.TotW.mag.f[MX]", f"{GEN}/GGIO1.IntIn1.stVal[ST]", f"{GEN}/GGIO1.IntIn1.q[ST]",
                 f"{GEN}/GGIO3.Pos1.stVal[ST]", f"{MEAS}/MMXU1.Hz.mag.f[MX]"]


def check_one_report(ck: Checker, key: str, what: str, reps: list, members: dict, reason: str, rpt_id: str, data_set: str):
    """Exactly one report carrying members {index: value} (others allowed only with an inexact inclusion)."""
    ck.check(len(reps) == 1, f"{key}:count", f"{what}: {len(reps)} reports, expected 1: {brief(reps)}")
    if not reps:
        return
    rep = reps[0]
    ck.check("error" not in rep, f"{key}:parse", f"{what}: the adapter failed on a report: {rep.get('error')}")
    inc = rep["included"]
    if rep["inclusion_exact"]:
        ck.check(inc == sorted(members), key, f"{what}: included members {inc}, expected {sorted(members)}: {brief(reps)}")
    else:
        ck.check(set(members) <= set(inc), key, f"{what}: members {sorted(members)} not all in {inc}: {brief(reps)}")
    for i, expected in members.items():
        got = rep["values"].get(i)
        ck.check(matches(got, expected), f"{key}:value", f"{what}: member {i} = {got!r}, expected {expected!r}")
        ck.check(rep["reasons"].get(i) == [reason], f"{key}:reason",
                 f"{what}: member {i} reason {rep['reasons'].get(i)}, expected [{reason!r}]")
    ck.check(rep["rpt_id"] == rpt_id, f"{key}:rptid", f"{what}: RptID {rep['rpt_id']!r}, expected {rpt_id!r}")
    ck.check(rep["data_set"] == data_set, f"{key}:datset", f"{what}: DatSet {rep['data_set']!r}, expected {data_set!r}")


EVENT_STEPS = [  # (what, simulator line, {Events member index: value})
    ("coil 5 -> Ind1", "set coil 5 bool true", {0: True}),
    ("holding 120 = 8 (bit 3) -> Ind2", "set holding 120 uint16 8", {2: True}),
    ("holding 120 = 0xFFF7 (bit 3 clear) -> Ind2", "set holding 120 uint16 65527", {2: False}),
    ("discrete input 7 (inverted) -> Ind3", "set discrete-input 7 bool true", {4: False}),
]


@clients
def test_reports_on_scl_events_data_set(modbus_gateway, kind):
    """urcbEvents01 over LLN0$Events (Ind1..4 stVal and q, all from the device): GI, one dchg report per
    change written to the simulator, and the device's death (SIGTERM) as a qchg report."""
    gw, sim = modbus_gateway
    initial = {IND[1]: False, IND[2]: False, IND[3]: True, IND[4]: False, IND_Q[1]: GOOD, IND_Q[4]: GOOD}

    def body(c):
        r = {"initial": wait_values(c, initial)}  # reads only before the block is enabled (libIEC61850)
        rpt_id = c.rcb_values(URCB1)["RptID"]
        c.subscribe(URCB1, rpt_id)
        c.set_rcb(URCB1, RptEna=True)
        c.trigger_gi(URCB1)
        r["gi"] = reports_for(c, 1)
        for what, line, _ in EVENT_STEPS:
            sim.set(line)
            r[what] = reports_for(c, 1)
        killed = time.monotonic()
        os.kill(sim.proc.pid, signal.SIGTERM)  # the device dies; the fixture reaps it
        c.wait_reports(1, 3.0)
        r["death-seconds"] = round(c._reports[0]["received"] - killed, 3) if c._reports else None
        r["death"] = reports_for(c, 10**6, timeout=0.5, settle=0.3)
        c.set_rcb(URCB1, RptEna=False)
        c.unsubscribe()
        return rpt_id, r

    rpt_id, r = run_client(kind, gw, body, timeout=SESSION)
    ck = Checker()
    check_values(ck, "gw:rpt:initial", "values before enabling", r["initial"], initial)
    check_one_report(ck, "gw:rpt:gi", "GI", r["gi"],
                     {0: False, 1: GOOD, 2: False, 3: GOOD, 4: True, 5: GOOD, 6: False, 7: GOOD}, "gi", rpt_id, EVENTS_DATSET)
    for what, line, members in EVENT_STEPS:
        check_one_report(ck, "gw:rpt:dchg", what, r[what], members, "dchg", rpt_id, EVENTS_DATSET)
    # the death: every q of the set turns invalid|failure (Ind4: questionable|failure|oldData), values kept
    death = r["death"]
    expected_q = {1: INVALID_FAILURE, 3: INVALID_FAILURE, 5: INVALID_FAILURE, 7: QUESTIONABLE_FAILURE_OLD}
    seen = {}
    for rep in death:
        for i, v in rep["values"].items():
            seen[i] = (v, rep["reasons"].get(i))
    for i, q in expected_q.items():
        got = seen.get(i)
        ck.check(got is not None and matches(got[0], q) and got[1] == ["qchg"], "gw:rpt:death",
                 f"device killed: member {i} (Ind{i // 2 + 1}.q) reported as {got}, expected {q} with reason qchg: {brief(death)}")
    ck.check(r["death-seconds"] is not None and r["death-seconds"] <= FAIL_WITHIN, "gw:rpt:death:time",
             f"device killed: first report after {r['death-seconds']} s, expected within {FAIL_WITHIN} s")
    ck.check(len(death) == 1, "gw:rpt:death:atomic",
             f"device killed: {len(death)} reports, expected one (the failure of one device is one update): {brief(death)}")
    ck.finish()


GWSET_STEPS = [  # (what, simulator line, {GwSet member index: value}, reason)
    ("input 52 float32 -0.125 kW -> TotW", "set input 52 float32 -0.125 big little", {0: -125.0}, "dchg"),
    ("holding 102 uint32 123456 -> IntIn1", "set holding 102 uint32 123456 big little", {1: 123456}, "dchg"),
    ("input 10 = 1 -> Pos1 off", "set input 10 uint16 1", {3: "01"}, "dchg"),
    ("input 70 float32 (little bytes, big words) -> Hz", "set input 70 float32 50.25 little big", {4: 50.25}, "dchg"),
    ("holding 102 uint32 3000000000 (beyond INT32) -> IntIn1.q", "set holding 102 uint32 3000000000 big little",
     {2: INVALID_OUT_OF_RANGE}, "qchg"),
]


@clients
def test_reports_on_client_data_set(modbus_gateway, kind):
    """A client-created data set over scaled, mapped and reordered points (two LDs) on urcbEvents02."""
    gw, sim = modbus_gateway
    sim_lines(sim, ["set input 52 float32 1.5 big little", "set holding 102 uint32 70000 big little",
                    "set input 10 uint16 2", "set input 70 float32 49.875 little big"])
    initial = {TOTW: 1500.0, INTIN: 70000, POS1: "10", HZ: 49.875, INTIN_Q: GOOD}

    def body(c):
        r = {"initial": wait_values(c, initial)}
        c.create_data_set(GWSET, GWSET_MEMBERS)
        c.set_rcb(URCB2, DatSet=GWSET_DATSET)
        rpt_id = c.rcb_values(URCB2)["RptID"]
        c.subscribe(URCB2, rpt_id)
        c.set_rcb(URCB2, RptEna=True)
        c.trigger_gi(URCB2)
        r["gi"] = reports_for(c, 1)
        for what, line, _, _ in GWSET_STEPS:
            sim.set(line)
            r[what] = reports_for(c, 1)
        c.set_rcb(URCB2, RptEna=False)
        c.unsubscribe()
        return rpt_id, r

    rpt_id, r = run_client(kind, gw, body, timeout=SESSION)
    ck = Checker()
    check_values(ck, "gw:rpt:initial", "values before enabling", r["initial"], initial)
    check_one_report(ck, "gw:rpt:gi", f"GI of {GWSET_MEMBERS}", r["gi"], {0: 1500.0, 1: 70000, 2: GOOD, 3: "10", 4: 49.875},
                     "gi", rpt_id, GWSET_DATSET)
    for what, line, members, reason in GWSET_STEPS:
        check_one_report(ck, f"gw:rpt:{reason}", what, r[what], members, reason, rpt_id, GWSET_DATSET)
    ck.finish()


# ------------------------------------------------------------------------------ device failure
def signal_parent(fd: int) -> None:
    os.write(fd, b".")


def wait_child(fd: int, limit: float) -> bool:
    """True when the child signalled a reached phase within limit s; False on timeout or its exit."""
    ready, _, _ = select.select([fd], [], [], limit)
    return bool(ready) and os.read(fd, 1) == b"."


@clients
def test_device_death_and_recovery_without_gateway_restart(modbus_gateway, kind):
    """SIGTERM the device, then start it again on the same port; SIGSTOP it, then SIGCONT. One client
    association watches throughout and operates SPCSO1 while the device is dead."""
    gw, sim = modbus_gateway
    sim_lines(sim, ["set input 52 float32 1.5 big little", "set coil 5 bool true", "set discrete-input 8 bool true"])
    watch = [TOTW, TOTW_Q, IND[1], IND_Q[1], IND[4], IND_Q[4]]
    phases = [  # (name, condition on a sample {(ref, fc): value}) the child waits for, in order
        ("ready", {TOTW: 1500.0, TOTW_Q: GOOD, IND[1]: True, IND_Q[1]: GOOD, IND[4]: True, IND_Q[4]: GOOD}),
        ("killed", {TOTW_Q: INVALID_FAILURE, IND_Q[1]: INVALID_FAILURE, IND_Q[4]: QUESTIONABLE_FAILURE_OLD}),
        ("restarted", {TOTW: 2250.0, TOTW_Q: GOOD, IND[1]: False, IND_Q[1]: GOOD, IND[4]: False, IND_Q[4]: GOOD}),
        ("hung", {TOTW_Q: INVALID_FAILURE, IND_Q[1]: INVALID_FAILURE, IND_Q[4]: QUESTIONABLE_FAILURE_OLD}),
        ("resumed", {TOTW: 3000.0, TOTW_Q: GOOD, IND_Q[1]: GOOD, IND_Q[4]: GOOD}),
    ]
    read_fd, write_fd = os.pipe()

    def body(c):
        os.close(read_fd)
        out = {}
        for name, condition in phases:
            started = time.monotonic()
            while True:
                seen_at = time.monotonic()
                sample = {k: c.read(*k) for k in watch}
                if all(matches(sample[k], v) for k, v in condition.items()):
                    break
                if time.monotonic() - started > 6.0:
                    out[name] = {"seen": None, "sample": sample}
                    return out
                time.sleep(0.02)
            out[name] = {"seen": seen_at, "sample": sample}
            if name == "killed":  # a control while the device is dead: its write cannot be delivered
                c.set_ctl_num(f"{GEN}/GGIO1.SPCSO1", 7)
                out["operate-dead"] = c.operate(f"{GEN}/GGIO1.SPCSO1", True)
                out["after-operate"] = {k: c.read(*k) for k in watch}
            signal_parent(write_fd)
        return out

    child = spawn_client(kind, gw, body)
    os.close(write_fd)
    acted = {}
    try:
        for name, _ in phases:
            if name == "killed":
                acted[name] = time.monotonic()
                sim.stop()
            elif name == "restarted":
                acted[name] = time.monotonic()
                sim.start()  # the same port
                sim_lines(sim, ["set input 52 float32 2.25 big little"])  # coils and inputs start at 0
            elif name == "hung":
                acted[name] = time.monotonic()
                sim.pause()
            elif name == "resumed":
                acted[name] = time.monotonic()
                sim.resume()
                sim_lines(sim, ["set input 52 float32 3 big little"])
            if not wait_child(read_fd, 10.0):
                break
    finally:
        os.close(read_fd)
        if sim.proc.poll() is None:
            sim.resume()
    out = collect_client(child, timeout=SESSION)
    print(f"{kind}: " + ", ".join(f"{name} seen {out[name]['seen'] - acted[name]:.2f} s after the action"
                                  for name in acted if out.get(name, {}).get("seen")))
    ck = Checker()
    for name, condition in phases:
        rec = out.get(name)
        if rec is None:
            ck.check(False, f"gw:failure:{name}", f"{name}: not reached (an earlier phase failed)")
            break
        ck.check(rec["seen"] is not None, f"gw:failure:{name}",
                 f"{name}: the client never saw {condition} within 6 s; last sample {rec['sample']}")
        if rec["seen"] is None:
            break
        if name in acted:
            seconds = rec["seen"] - acted[name]
            limit = FAIL_WITHIN if name in ("killed", "hung") else RECOVER_WITHIN
            ck.check(seconds <= limit, f"gw:failure:{name}:time",
                     f"{name}: the client saw {condition} {seconds:.2f} s after the device was {name}, expected within {limit} s")
        if name in ("killed", "hung"):  # the last value stays while the quality says it is not current
            kept = {TOTW: 1500.0 if name == "killed" else 2250.0, IND[1]: True if name == "killed" else False}
            for k, v in kept.items():
                ck.check(matches(rec["sample"][k], v), f"gw:failure:{name}:kept",
                         f"{name}: {k[0]} = {rec['sample'][k]!r} while the device fails, expected the last value {v!r}")
    op = out.get("operate-dead")
    if op is not None:
        ck.check(not op["ok"], "gw:failure:operate", f"SPCSO1 operated while the device is dead: accepted: {op}")
        if op["add_cause"] is not None or kind == "libiec61850":
            ck.check(op["add_cause"] == COMMUNICATION_LOSS, "gw:failure:operate:addcause",
                     f"SPCSO1 operated while the device is dead: AddCause {cause_text(op['add_cause'])}, "
                     f"expected {cause_text(COMMUNICATION_LOSS)}: {op['detail']}")
        after = out["after-operate"]
        ck.check(matches(after[IND[1]], True) and matches(after[TOTW], 1500.0), "gw:failure:operate",
                 f"values after the failed control: {after}")
    ck.check(gw.proc.poll() is None, "gw:failure:alive", f"the gateway exited ({gw.proc.returncode})")
    ck.finish()


# ------------------------------------------------------------------------------ controls
SPC = [None] + [f"{GEN}/GGIO1.SPCSO{n}" for n in range(1, 5)]
POS3 = f"{GEN}/GGIO3.Pos3"


@clients
def test_controls_reach_the_device_and_follow_the_confirmation(modbus_gateway, kind):
    gw, sim = modbus_gateway
    read_fd, write_fd = os.pipe()

    def status(c, obj):
        return c.read(f"{obj}.stVal", "ST")

    def body(c):
        os.close(read_fd)
        c.timeout_ms = 4000  # > the longest confirm-ms, so a normal-security Oper is answered in time
        r = {"initial": wait_values(c, {(f"{SPC[n]}.stVal", "ST"): False for n in (1, 2, 3, 4)} | {(f"{POS3}.stVal", "ST"): "00"})}
        r["models"] = {obj: c.control_model(obj) for obj in SPC[1:] + [POS3]}
        # direct-normal, confirmed by the same coil
        r["spc1-on"] = c.operate(SPC[1], True)
        r["spc1-on-status"] = status(c, SPC[1])
        r["spc1-off"] = c.operate(SPC[1], False)
        r["spc1-off-status"] = status(c, SPC[1])
        r["spc1-on2"] = c.operate(SPC[1], True)
        # SBO-normal whose status (coil 20) never follows the written coil 21
        c.set_ctl_num(SPC[2], 40)
        r["spc2-select"] = c.select(SPC[2])
        r["spc2-operate"] = c.operate(SPC[2], True)
        r["spc2-status"] = status(c, SPC[2])
        # SBO-enhanced, confirmed by the same coil
        r["spc4-sbow"] = c.select_with_value(SPC[4], True)
        r["spc4-operate"] = c.operate(SPC[4], True)
        r["spc4-status"] = status(c, SPC[4])
        # DPC direct-enhanced through value maps: on -> register 40 = 2 -> Dbpos on
        r["pos3-on"] = c.operate(POS3, True)
        r["pos3-on-status"] = status(c, POS3)
        r["pos3-off"] = c.operate(POS3, False)
        r["pos3-off-status"] = status(c, POS3)
        # direct-enhanced, confirmed only when the device sets coil 30: first it does (the parent sets it
        # while the command waits for its confirmation), then it does not
        signal_parent(write_fd)
        r["spc3-confirmed"] = c.operate(SPC[3], True)
        r["spc3-confirmed-status"] = status(c, SPC[3])
        r["spc3-unconfirmed"] = c.operate(SPC[3], False)
        r["spc3-unconfirmed-status"] = status(c, SPC[3])
        return r

    child = spawn_client(kind, gw, body)
    os.close(write_fd)
    external = None
    try:
        if wait_child(read_fd, 30.0):
            time.sleep(0.4)  # the Oper of SPCSO3 is on its way; its confirmation time is 1.5 s
            sim.set("set coil 30 bool true")
            external = time.monotonic()
    finally:
        os.close(read_fd)
    r = collect_client(child, timeout=SESSION)
    coils = modbus_read(sim.port, "coil", 0, 40)
    register40 = modbus_read(sim.port, "holding", 40)[0]

    ck = Checker()
    check_values(ck, "gw:ctl:initial", "statuses before any control", r["initial"],
                 {(f"{SPC[n]}.stVal", "ST"): False for n in (1, 2, 3, 4)} | {(f"{POS3}.stVal", "ST"): "00"})
    for obj, model in r["models"].items():
        expected = 3 if obj == POS3 else int(obj[-1])
        ck.check(model == expected, "gw:ctl:model", f"{obj}: ctlModel {model}, expected {expected}")

    def ok(key, what, out, termination=False):
        ck.check(out["ok"], key, f"{what}: failed: {out}")
        if termination and out["ok"]:
            ck.check(out["termination"] == "positive", f"{key}:termination",
                     f"{what}: CommandTermination {out['termination']}, expected positive: {out['detail']}")

    def failed(key, what, out, cause, enhanced):
        ck.check(not out["ok"], key, f"{what}: succeeded, expected time-limit-over: {out}")
        if out["ok"]:
            return
        if enhanced:
            ck.check(out["write_ok"] in (True, None), f"{key}:write",
                     f"{what}: the Oper write was refused, expected accepted and CommandTermination-: {out['detail']}")
            ck.check(out["termination"] == "negative", f"{key}:termination",
                     f"{what}: CommandTermination {out['termination']}, expected negative: {out['detail']}")
        if out["add_cause"] is not None or kind == "libiec61850" or enhanced:
            ck.check(out["add_cause"] == cause, f"{key}:addcause",
                     f"{what}: AddCause {cause_text(out['add_cause'])}, expected {cause_text(cause)}: {out['detail']}")

    ok("gw:ctl:direct", f"{SPC[1]} (direct-normal) on", r["spc1-on"])
    ck.check(r["spc1-on-status"] is True, "gw:ctl:direct:status", f"{SPC[1]}: stVal {r['spc1-on-status']!r} after on")
    ok("gw:ctl:direct", f"{SPC[1]} off", r["spc1-off"])
    ck.check(r["spc1-off-status"] is False, "gw:ctl:direct:status", f"{SPC[1]}: stVal {r['spc1-off-status']!r} after off")
    ok("gw:ctl:direct", f"{SPC[1]} on again", r["spc1-on2"])
    ck.check(coils[12] is True, "gw:ctl:direct:device", f"{SPC[1]}: coil 12 of the device is {coils[12]}, expected 1")

    ok("gw:ctl:sbo", f"{SPC[2]} select", r["spc2-select"])
    failed("gw:ctl:unconfirmed", f"{SPC[2]} (SBO-normal, status from coil 20, control to coil 21)", r["spc2-operate"],
           TIME_LIMIT_OVER, enhanced=False)
    if r["spc2-operate"]["seconds"]:
        ck.check(r["spc2-operate"]["seconds"] >= 0.45, "gw:ctl:unconfirmed:time",
                 f"{SPC[2]}: refused after {r['spc2-operate']['seconds']} s, before its confirm-ms 500")
    ck.check(coils[21] is True and coils[20] is False, "gw:ctl:unconfirmed:device",
             f"{SPC[2]}: coils 20/21 of the device are {coils[20]}/{coils[21]}, expected 0/1 (written once, not confirmed)")
    ck.check(r["spc2-status"] is False, "gw:ctl:unconfirmed:status", f"{SPC[2]}: stVal {r['spc2-status']!r}, expected False")

    ok("gw:ctl:sbo-enhanced", f"{SPC[4]} SBOw", r["spc4-sbow"])
    ok("gw:ctl:sbo-enhanced", f"{SPC[4]} (SBO-enhanced) on", r["spc4-operate"], termination=True)
    ck.check(r["spc4-status"] is True and coils[14] is True, "gw:ctl:sbo-enhanced:device",
             f"{SPC[4]}: stVal {r['spc4-status']!r}, coil 14 {coils[14]}; expected True and 1")

    ok("gw:ctl:dpc", f"{POS3} (DPC direct-enhanced) on", r["pos3-on"], termination=True)
    ck.check(matches(r["pos3-on-status"], "10"), "gw:ctl:dpc:status", f"{POS3}: stVal {r['pos3-on-status']!r} after on, expected 10")
    ok("gw:ctl:dpc", f"{POS3} off", r["pos3-off"], termination=True)
    ck.check(matches(r["pos3-off-status"], "01"), "gw:ctl:dpc:status", f"{POS3}: stVal {r['pos3-off-status']!r} after off, expected 01")
    ck.check(register40 == 1, "gw:ctl:dpc:device", f"{POS3}: holding register 40 of the device is {register40}, expected 1 (off)")

    ck.check(external is not None, "gw:ctl:external", "the child never reached the SPCSO3 step")
    ok("gw:ctl:confirmed-by-device", f"{SPC[3]} (direct-enhanced) on, coil 30 set by the device 0.4 s later",
       r["spc3-confirmed"], termination=True)
    ck.check(r["spc3-confirmed-status"] is True, "gw:ctl:confirmed-by-device:status",
             f"{SPC[3]}: stVal {r['spc3-confirmed-status']!r}, expected True")
    failed("gw:ctl:unconfirmed-enhanced", f"{SPC[3]} off (coil 31 written, coil 30 stays 1)", r["spc3-unconfirmed"],
           TIME_LIMIT_OVER, enhanced=True)
    ck.check(coils[31] is False and coils[30] is True, "gw:ctl:unconfirmed-enhanced:device",
             f"{SPC[3]}: coils 30/31 of the device are {coils[30]}/{coils[31]}, expected 1/0")
    ck.check(r["spc3-unconfirmed-status"] is True, "gw:ctl:unconfirmed-enhanced:status",
             f"{SPC[3]}: stVal {r['spc3-unconfirmed-status']!r}, expected True (unchanged)")
    ck.finish()
