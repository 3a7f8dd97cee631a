"""Hostile peers on loopback: idle, half-open and surplus connections, running out of file
descriptors, malformed frames at every layer. In every case another client keeps being served
within its normal latency and the server's memory stays bounded (issue 13).

Each test starts a gateway of its own (the built binary), so a test that breaks the server breaks
only itself. Latency bounds are generous (CI machines are noisy): they catch a client locked out or
starved, not a slow millisecond.
"""

from __future__ import annotations

import os
import shlex
import socket
import statistics
import subprocess
import time

import pytest

from conftest import REPO, SCL, _free_port, _stop_server
from rawmms import CONNECT, CONNECTION_REQUEST, RawClient, assert_idle_connections_time_out, ber, closed_now, cpu_seconds, data_frame, open_fds, read_request, rss_kib, unsigned

GATEWAY = os.path.join(REPO, ".build", "debug", "iec61850-gateway")
# A read that takes longer than this while under attack means the attack is starving the others.
STARVED = 0.25


class Gateway:
    def __init__(self, *flags: str, prefix: list[str] | None = None) -> None:
        self.port = _free_port()
        cmd = (prefix or []) + [GATEWAY, "run", "--scl", SCL, "--port", str(self.port), "--bind", "127.0.0.1",
                                "--event-log", "none", *flags]
        env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"gateway exited with {self.proc.returncode}: {shlex.join(cmd)}\n{self.proc.stderr.read().decode()}")
            try:
                probe = RawClient(self.port)
                probe.associate()
                probe.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"gateway did not serve on port {self.port} within 20 s")
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> str:
        """Stops the gateway; its standard error (its log)."""
        _stop_server(self.proc)
        return self.proc.stderr.read().decode("utf-8", "replace")

    def client(self) -> RawClient:
        client = RawClient(self.port)
        client.associate()
        return client


@pytest.fixture()
def gateway():
    """A gateway with ten association slots and a 1.5 s establishment timeout."""
    g = Gateway("--max-associations", "10", "--association-timeout", "1500")
    yield g
    g.stop()


def latencies(client: RawClient, n: int = 40) -> list[float]:
    return [client.timed_read() for _ in range(n)]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def test_idle_connections_do_not_lock_out_clients(gateway):
    """A dozen connections that never send a byte: the two over the limit are closed at once, the
    ten others after the establishment timeout; then a client associates and reads."""
    time.sleep(0.3)  # the start-up probe's slot is free again
    idle = [socket.create_connection(("127.0.0.1", gateway.port), timeout=5) for _ in range(12)]
    assert_idle_connections_time_out(idle, gateway.client, STARVED)


def test_half_open_connections_time_out(gateway):
    """Connections stopped half-way (a TPKT header alone, a CR and nothing more, a CN cut short)."""
    stalled = []
    for partial in (CONNECTION_REQUEST[:3], CONNECTION_REQUEST, CONNECTION_REQUEST + CONNECT[:40]):
        s = socket.create_connection(("127.0.0.1", gateway.port), timeout=5)
        s.sendall(partial)
        stalled.append(s)
    try:
        time.sleep(0.5)
        assert not any(closed_now(s) for s in stalled[:2]), "closed before the establishment timeout"
        time.sleep(1.5)
        for s in stalled:
            s.settimeout(1.0)
            try:
                while s.recv(4096):  # a CC, and whatever the cut CN got, then the close
                    pass
            except ConnectionResetError:
                pass
            except socket.timeout:
                pytest.fail("a half-open connection was still open after the establishment timeout")
    finally:
        for s in stalled:
            s.close()


def test_surplus_connections_leave_associated_clients_served(gateway):
    """Fifty connections opened and dropped in a burst, over the limit of ten: an associated client's
    reads stay fast throughout, and the server answers again afterwards."""
    client = gateway.client()
    baseline = latencies(client)
    burst = []
    for _ in range(50):
        try:
            burst.append(socket.create_connection(("127.0.0.1", gateway.port), timeout=2))
        except OSError:
            pass
    during = latencies(client)
    for s in burst:
        s.close()
    assert p95(during) < max(STARVED, 10 * statistics.median(baseline)), f"p95 {p95(during) * 1e3:.1f} ms under a connection burst"
    client.close()


def test_out_of_file_descriptors_does_not_spin_or_fail():
    """Under a limit of 64 descriptors, 100 connections: accepting pauses (no core spun), the log says
    why, the process lives, and once they are gone a client associates again."""
    g = Gateway("--max-associations", "200", prefix=["prlimit", "--nofile=64:64"])
    flood: list[socket.socket] = []
    try:
        for _ in range(100):
            try:
                flood.append(socket.create_connection(("127.0.0.1", g.port), timeout=1))
            except OSError:
                break
        time.sleep(0.5)
        before = cpu_seconds(g.pid)
        time.sleep(2.0)
        spent = cpu_seconds(g.pid) - before
        assert g.proc.poll() is None, "the gateway died when it ran out of file descriptors"
        assert spent < 0.5, f"{spent:.2f} s of CPU in 2 s while out of descriptors: the accept loop spins"
        for s in flood:
            s.close()
        flood = []
        deadline = time.monotonic() + 10
        while True:
            try:
                client = g.client()
                assert client.timed_read() < 1.0
                client.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        for s in flood:
            s.close()
        log = g.stop()
    assert "cannot accept connections" in log, "no log line says why connections are not accepted"


# Malformed input at each layer, each sent on a connection of its own after (or instead of) a valid
# association. The server answers with a disconnect, abort or reject as the layer asks, or closes.
MALFORMED = {
    "tpkt-version": bytes.fromhex("05000016") + CONNECTION_REQUEST[4:],
    "tpkt-length-short": bytes.fromhex("03000002"),
    "tpkt-length-huge": bytes.fromhex("0300ffff") + b"\x00" * 64,
    "cotp-unknown-type": bytes.fromhex("0300000b06f000000000000"[:22]),
    "cotp-li-past-end": bytes.fromhex("03000009ff e0 00 00 00".replace(" ", "")),
    "session-garbage": bytes.fromhex("0300000c02f080") + bytes.fromhex("ffffffffff"),
    "presentation-garbage": bytes.fromhex("0300001002f0800100010061") + bytes.fromhex("30ff0201"),
    "mms-garbage": data_frame(bytes.fromhex("a0ffffff")),
    "mms-deep-nesting": data_frame(bytes.fromhex("a0" + "8180" * 1) + bytes.fromhex("a180" * 2000)),
    "mms-unknown-service": data_frame(bytes.fromhex("a0080201017f7f0100")),
    "random": os.urandom(4096),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_frames_leave_others_served(gateway, name):
    client = gateway.client()
    baseline = latencies(client, 20)
    rss_before = rss_kib(gateway.pid)
    for associated in (False, True):
        for _ in range(20):
            bad = RawClient(gateway.port)
            try:
                if associated:
                    bad.associate()
                bad.sock.sendall(MALFORMED[name])
            except OSError:
                pass
            bad.close()
    during = latencies(client, 20)
    assert gateway.proc.poll() is None, f"the gateway died on {name}"
    assert p95(during) < max(STARVED, 10 * statistics.median(baseline))
    assert rss_kib(gateway.pid) - rss_before < 32 * 1024, "memory grew by more than 32 MiB"
    assert open_fds(gateway.pid) < 40, "connections are left open"
    client.close()


# A write's result in the response: success (81 00) or a DataAccessError (80 01 code).
SUCCESS = bytes.fromhex("8100")
OBJECT_VALUE_INVALID = bytes.fromhex("80010b")


def test_absurd_control_block_values_are_refused(gateway):
    """IntgPd of 1 ms (a report or log entry a millisecond), ResvTms -1 (reserved for ever) or past an
    hour: object-value-invalid, and the block keeps its value; sane values are taken."""
    client = gateway.client()
    domain = "DEMOGenericIO"
    cases = [
        ("LLN0$BR$brcbEvents01$IntgPd", unsigned(0x86, 1), OBJECT_VALUE_INVALID),
        ("LLN0$BR$brcbEvents01$ResvTms", ber(0x85, b"\xff"), OBJECT_VALUE_INVALID),
        ("LLN0$BR$brcbEvents01$ResvTms", ber(0x85, (7200).to_bytes(2, "big")), OBJECT_VALUE_INVALID),
        ("LLN0$LG$EventLog$IntgPd", unsigned(0x86, 5), OBJECT_VALUE_INVALID),
        ("LLN0$BR$brcbEvents01$IntgPd", unsigned(0x86, 1000), SUCCESS),
        ("LLN0$BR$brcbEvents01$ResvTms", ber(0x85, (60).to_bytes(1, "big")), SUCCESS),
    ]
    for item, data, expected in cases:
        answer = client.write(domain, item, data)
        assert answer.endswith(expected), f"{item} := {data.hex()}: answered {answer.hex()}, expected ...{expected.hex()}"
    client.close()


def test_pipelined_flood_leaves_others_served(gateway):
    """One client pipelines 20,000 reads and reads none of the answers: the server stops reading from
    it (its answers wait in its socket), serves another client at its usual pace, and its memory stays
    bounded."""
    client = gateway.client()
    baseline = latencies(client, 20)
    rss_before = rss_kib(gateway.pid)
    flooder = gateway.client()
    flooder.sock.setblocking(False)
    burst = b"".join(read_request(i + 1, "DEMOMeasurement", "MMXU1$MX$TotW$mag$f") for i in range(20_000))
    sent = 0
    deadline = time.monotonic() + 5
    while sent < len(burst) and time.monotonic() < deadline:
        try:
            sent += flooder.sock.send(burst[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)  # the server stopped reading: backpressure
    during = latencies(client, 40)
    assert gateway.proc.poll() is None
    assert p95(during) < max(STARVED, 10 * statistics.median(baseline)), f"p95 {p95(during) * 1e3:.1f} ms while another client floods"
    assert rss_kib(gateway.pid) - rss_before < 32 * 1024, "memory grew by more than 32 MiB under a pipelined flood"
    flooder.close()
    client.close()


class FieldDevice:
    """A Modbus TCP 'device' on loopback that answers every request with `reply(request)`, one byte
    every `dribble` seconds when set."""

    def __init__(self, reply, dribble: float = 0.0) -> None:
        import threading
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.reply, self.dribble, self.running = reply, dribble, True
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(0.5)
        with conn:
            while self.running:
                try:
                    request = conn.recv(260)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not request:
                    return
                self.requests += 1
                answer = self.reply(request)
                try:
                    if self.dribble:
                        for byte in answer:
                            conn.sendall(bytes([byte]))
                            time.sleep(self.dribble)
                    else:
                        conn.sendall(answer)
                except OSError:
                    return

    def stop(self) -> None:
        self.running = False
        self.server.close()


def valid_coil_answer(request: bytes) -> bytes:
    """A correct answer to 'read coils' (one coil, value 1), echoing the transaction and unit."""
    return request[:4] + bytes([0, 4]) + request[6:7] + bytes([1, 1, 1])


FAILED_QUALITY = bytes.fromhex("8403034200")  # validity invalid, detail failure


@pytest.mark.parametrize("kind", ["garbage", "wrong-function", "dribble"])
def test_modbus_device_answering_garbage_or_dribbling(tmp_path, kind):
    """A device that answers random bytes, an answer to another function, or a right answer one byte
    every 150 ms (past the 300 ms timeout): the point turns invalid with detail failure, the gateway keeps
    polling and serving, and its memory stays bounded."""
    replies = {
        "garbage": lambda request: os.urandom(64),
        "wrong-function": lambda request: request[:4] + bytes([0, 5]) + request[6:7] + bytes([3, 2, 0, 1]),
        "dribble": valid_coil_answer,
    }
    device = FieldDevice(replies[kind], dribble=0.15 if kind == "dribble" else 0.0)
    config = tmp_path / "gateway.yaml"
    config.write_text(f"""
model: {{scl: {SCL}}}
modbus:
  - name: odd
    tcp: 127.0.0.1:{device.port}
    timeout-ms: 300
    retry-ms: 200
points:
  - ref: GenericIO/GGIO1.Ind1
    modbus: {{device: odd, table: coil, address: 1}}
    poll-ms: 100
""")
    g = Gateway("--config", str(config), "--max-associations", "10")
    try:
        client = g.client()
        deadline = time.monotonic() + 10
        quality = b""
        while time.monotonic() < deadline:
            quality = client.read(domain="DEMOGenericIO", item="GGIO1$ST$Ind1$q")
            if FAILED_QUALITY in quality:
                break
            time.sleep(0.2)
        assert FAILED_QUALITY in quality, f"Ind1.q never turned invalid/failure: {quality.hex()}"
        polled = device.requests
        rss_before = rss_kib(g.pid)
        time.sleep(2)
        assert device.requests > polled, "the gateway stopped polling the device"
        assert client.timed_read() < STARVED
        assert g.proc.poll() is None
        assert rss_kib(g.pid) - rss_before < 16 * 1024
        client.close()
    finally:
        g.stop()
        device.stop()
