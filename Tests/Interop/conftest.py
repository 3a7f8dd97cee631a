"""Fixtures for the interoperability suite: a server subprocess and bounded client sessions.

Environment:
  IEC61850_SERVER_CMD   command template with {port} and {scl}; run from the repository root.
                        Default: .build/debug/iec61850-gateway run --scl {scl} --port {port} --bind 127.0.0.1
                        Password tests append: --password-env DEMO_PASSWORD (and set DEMO_PASSWORD).
  IEC61850_SCL          SCL file to serve (default mappings/demo/demo.icd)
  IEC61850_REFERENCE    name of a reference server whose known deviations from the standard are
                        turned into xfail ("rust-iec61850" or "libiec61850", see KNOWN_DEVIATIONS). Unset for
                        our server: every expectation is then strict.
  IEC61850_CALL_TIMEOUT seconds allowed for one test's client session (default 60).
  IEC61850_REPORT_SERVER_CMD  command template ({port}, {scl}) of the server for the report tests
                        (test_reports.py), which must accept value updates on stdin (the report_server
                        fixture). Default: .build/debug/example-console-server --scl {scl} --port {port}
                        --bind 127.0.0.1. libIEC61850 as the reference:
                        python3 Benchmarks/libiec61850_server.py --port {port} --bind 127.0.0.1 --stdin-updates
  IEC61850_CONTROL_SERVER_CMD  command template ({port}, {scl}) of the server for the control tests
                        (test_controls.py, the control_server fixture): the report server's stdin
                        protocol plus simulated controls (an accepted control sets the status after a
                        short delay) and the lines "fail <LDinst/LN.DO> <AddCause>" and
                        "accept <LDinst/LN.DO>". Default: the report server's command + " --simulate".

The stdin protocol of report_server: one line per batch, "set <LDinst/LN.DO.DA> <bool|int|float|
quality|time> <value>", several commands joined by " ; " form one atomic batch; the server answers
each line on stdout with exactly "ok" or "error <text>" once the change is applied, and writes
nothing else on stdout. srv.set(line) sends a line and waits (5 s at most) for the answer.
"""

from __future__ import annotations

import os
import pickle
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
import traceback

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

from clients import CLIENTS  # noqa: E402

DEFAULT_CMD = ".build/debug/iec61850-gateway run --scl {scl} --port {port} --bind 127.0.0.1 --event-log none"
DEFAULT_REPORT_CMD = ".build/debug/example-console-server --scl {scl} --port {port} --bind 127.0.0.1"
DEFAULT_CONTROL_CMD = DEFAULT_REPORT_CMD + " --simulate"
SCL = os.environ.get("IEC61850_SCL", os.path.join(REPO, "mappings", "demo", "demo.icd"))
PASSWORD = "demo-secret-61850"
SESSION_TIMEOUT = float(os.environ.get("IEC61850_CALL_TIMEOUT", "60"))
REFERENCE = os.environ.get("IEC61850_REFERENCE", "")

# Expectations that a reference server is known to miss. Keys are the ids passed to Checker.check.
KNOWN_DEVIATIONS = {
    "libiec61850": {
        # A BRCB enabled without an EntryID write flags BufOvfl TRUE in its first report even when its
        # buffer was empty (nothing lost or repeated); we flag it only when entries were buffered.
        "rpt:brcb:bufovfl-no-entryid",
    },
    "rust-iec61850": {
        # IedServer.from_scl ignores <Val> of these basic types and serves zero values
        "value:dbposSt", "value:q", "value:t", "value:tcmdSp", "value:chkCf", "value:entTmCf", "value:octCf",
        # a read of a leaf attribute ignores the FC (GGIO1$MX$Ind1$stVal answers Ind1.stVal of ST)
        "read:wrong-fc",
        # writes below the DA level (SetAn1$SP$setMag$f) answer object-access-unsupported
        "write:GGIO2.SetAn1.setMag.f",
        # no ACSE authentication in the Rust IedServer; reference_server.py adds a password check
        # in a TCP front end, which is real enough for the tests (no deviation expected)
        # Data sets (test_datasets.py). reference_server.py registers the SCL data sets itself
        # (from_scl skips <DataSet>), so the static ones (ds:static-*, ds:ln-directory) stay strict.
        # Dynamic definition (DefineNamedVariableList) is unusable in iec61850 0.14's IedServer:
        # - it answers a successful define with a constructed [11] (AB 00) instead of the NULL
        #   "8B 00" of ISO 9506-2, which libIEC61850's client rejects as malformed (IED_ERROR 34);
        # - it refuses an FCD member (GGIO1$ST$Ind2) or a member of another LD with
        #   definition/invalid-address (Definition(2), libIEC61850: IED_ERROR_UNKNOWN);
        # - it accepts a list in a logical node that does not exist (NOLN0$X);
        # - it enforces no limit on lists per domain or members per list (11th set, 51 members);
        # - it has no association-specific lists ("@name": object-access-unsupported).
        "ds:create", "ds:dir", "ds:read", "ds:delete", "ds:ln-directory-dynamic", "ds:refuse:dup-dynamic",
        "ds:refuse:no-ln",
        "ds:aa-create", "ds:aa-dir", "ds:aa-read", "ds:aa-names", "ds:aa-private", "ds:aa-gone",
        "ds:limit-domain", "ds:limit-members", "ds:limit-aa",
    },
}

CLIENT_KINDS = list(CLIENTS)


class Server:
    def __init__(self, proc: subprocess.Popen, host: str, port: int, password: str | None) -> None:
        self.proc, self.host, self.port, self.password = proc, host, port, password


class UpdateRefused(Exception):
    """The server answered a value update with "error <text>"."""


class ReportServer(Server):
    """A server whose values change on command (stdin protocol in the module docstring).

    set() works from a forked client session too (run_client): the child inherits the pipes,
    and the parent does not use them while it waits for the child. Lines are short, so each
    write is atomic; the answer is read with os.read, so no buffered data is left behind.
    """

    def __init__(self, proc: subprocess.Popen, host: str, port: int) -> None:
        super().__init__(proc, host, port, None)
        self._pending = b""

    def set(self, line: str, timeout: float = 5.0) -> None:
        if "\n" in line:
            raise ValueError("one line per call")
        os.write(self.proc.stdin.fileno(), (line + "\n").encode())
        out = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from the server within {timeout:.0f} s to: {line}")
            ready, _, _ = select.select([out], [], [], left)
            if ready:
                chunk = os.read(out, 4096)
                if not chunk:
                    raise RuntimeError(f"the server closed its stdout (exit status {self.proc.poll()}) after: {line}")
                self._pending += chunk
        answer, self._pending = self._pending.split(b"\n", 1)
        text = answer.decode("utf-8", "replace").strip()
        if text == "ok":
            return
        if text.startswith("error"):
            raise UpdateRefused(f"{line!r}: {text}")
        raise RuntimeError(f"unexpected answer {text!r} to {line!r} (the protocol allows only 'ok' or 'error <text>')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(password: str | None, *, updates: bool = False, controls: bool = False) -> Server:
    """Start the server under test; updates=True: the report server, stdin and stdout as pipes;
    controls=True (with updates): the control server (IEC61850_CONTROL_SERVER_CMD)."""
    port = _free_port()
    if updates and controls:
        template = os.environ.get("IEC61850_CONTROL_SERVER_CMD", DEFAULT_CONTROL_CMD)
    elif updates:
        template = os.environ.get("IEC61850_REPORT_SERVER_CMD", DEFAULT_REPORT_CMD)
    else:
        template = os.environ.get("IEC61850_SERVER_CMD", DEFAULT_CMD)
    cmd = template.format(port=port, scl=SCL)
    env = dict(os.environ)
    if password is not None:
        cmd += " --password-env DEMO_PASSWORD"
        env["DEMO_PASSWORD"] = password
    env.setdefault("SWIFT_BACKTRACE", "enable=no")
    try:
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE} if updates else {}
        proc = subprocess.Popen(shlex.split(cmd), cwd=REPO, env=env, start_new_session=True, **pipes)
    except OSError as e:
        pytest.fail(f"cannot start the server ({e}); build it or set IEC61850_SERVER_CMD: {cmd}")
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} before accepting: {cmd}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                _stop_server(proc)
                pytest.fail(f"server did not accept on port {port} within 20 s: {cmd}")
            time.sleep(0.1)
    if updates:
        return ReportServer(proc, "127.0.0.1", port)
    return Server(proc, "127.0.0.1", port, password)


def _stop_server(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def server():
    s = _start_server(None)
    yield s
    _stop_server(s.proc)


@pytest.fixture()
def fresh_server():
    """A server of its own, for tests that change values."""
    s = _start_server(None)
    yield s
    _stop_server(s.proc)


@pytest.fixture()
def report_server():
    """A server of its own whose values the test changes with srv.set(...) (IEC61850_REPORT_SERVER_CMD)."""
    s = _start_server(None, updates=True)
    yield s
    _stop_server(s.proc)


@pytest.fixture()
def control_server():
    """A server of its own with simulated controls (IEC61850_CONTROL_SERVER_CMD); srv.set(...) sends
    value updates and the simulator's "fail"/"accept" lines."""
    s = _start_server(None, updates=True, controls=True)
    yield s
    _stop_server(s.proc)


@pytest.fixture(scope="module")
def password_server():
    s = _start_server(PASSWORD)
    yield s
    _stop_server(s.proc)


def wait_for(predicate, limit: float = 5.0):
    """Calls predicate every 0.1 s until it returns something true or limit seconds pass; returns its last value."""
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


# ------------------------------------------------------------------------------ checks
class Checker:
    """Collects failed expectations; known deviations of the named reference server become xfail."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []

    def check(self, ok: bool, key: str, message: str) -> None:
        if not ok:
            self.failures.append((key, message))

    def finish(self) -> None:
        allowed = KNOWN_DEVIATIONS.get(REFERENCE, set())
        real = [m for k, m in self.failures if k not in allowed]
        known = [m for k, m in self.failures if k in allowed]
        if real:
            raise AssertionError("\n".join(real + [f"(known {REFERENCE} deviation) {m}" for m in known]))
        if known:
            pytest.xfail(f"reference server {REFERENCE} deviates from the standard: " + "; ".join(known))


# ------------------------------------------------------------------- bounded client runs
def run_client(kind: str, srv: Server, body, *, password: str | None = None, connect: bool = True,
               timeout: float = SESSION_TIMEOUT, tls: dict | None = None, netns: str | None = None):
    """Run body(client) in a forked child with a hard time limit; re-raise its outcome here.

    The libIEC61850 client keeps the GIL in blocking calls and either client may hang on a
    misbehaving server, so neither signal.alarm nor a watchdog thread could interrupt it.
    A forked child is killed (SIGKILL) when the limit passes.
    """
    return collect_client(spawn_client(kind, srv, body, password=password, connect=connect, tls=tls, netns=netns),
                          timeout=timeout)


def enter_netns(name: str) -> None:
    """Moves this (single-threaded) process into the network namespace /run/netns/NAME."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), f"setns {name}")
    finally:
        os.close(fd)


class ClientProcess:
    def __init__(self, kind: str, pid: int, fd: int) -> None:
        self.kind, self.pid, self.fd = kind, pid, fd


def spawn_client(kind: str, srv: Server, body, *, password: str | None = None, connect: bool = True,
                 tls: dict | None = None, netns: str | None = None) -> ClientProcess:
    """Start body(client) in a forked child (see run_client); collect_client waits for it.
    Several may run at once (the ten-client report test). With netns, the child runs in that
    network namespace (the redundancy tests' SCADA host)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        payload: tuple
        try:
            if netns:
                enter_netns(netns)
            client = CLIENTS[kind]()
            client.tls = tls  # {"ca", "cert", "key"} files: associate over TLS (srv.port is then the TLS port)
            try:
                if connect:
                    client.connect(srv.host, srv.port, password)
                result = body(client)
            finally:
                try:
                    client.close()
                except Exception:
                    pass
            payload = ("ok", result)
        except BaseException as e:  # noqa: BLE001  (includes pytest outcomes)
            outcome = type(e).__name__
            payload = ("exc", outcome, str(getattr(e, "msg", "") or e), traceback.format_exc())
        try:
            data = pickle.dumps(payload)
        except Exception as e:  # unpicklable result
            data = pickle.dumps(("exc", "RuntimeError", f"unpicklable result: {e}", ""))
        view = memoryview(data)
        while view:
            n = os.write(w, view)
            view = view[n:]
        os.close(w)
        os._exit(0)
    # parent
    os.close(w)
    return ClientProcess(kind, pid, r)


def kill_client(proc: ClientProcess) -> None:
    """Kill a spawned child that will not be collected (cleanup after another child failed)."""
    try:
        os.kill(proc.pid, signal.SIGKILL)
        os.waitpid(proc.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    try:
        os.close(proc.fd)
    except OSError:
        pass


def collect_client(proc: ClientProcess, *, timeout: float = SESSION_TIMEOUT):
    """Wait (at most timeout) for a spawned child's outcome and re-raise it here, as run_client."""
    kind, pid, r = proc.kind, proc.pid, proc.fd
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"{kind} client session exceeded {timeout:.0f} s (killed)")
            ready, _, _ = select.select([r], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        pytest.fail(f"{kind} client process died without a result (status {status})")
    payload = pickle.loads(b"".join(chunks))
    if payload[0] == "ok":
        return payload[1]
    _, outcome, message, tb = payload
    if outcome == "XFailed":
        pytest.xfail(message)
    if outcome == "Skipped":
        pytest.skip(message)
    if outcome == "AssertionError":
        raise AssertionError(f"{message}\n--- in {kind} client process ---\n{tb}")
    raise RuntimeError(f"{kind} client: {outcome}: {message}\n{tb}")
