"""A raw MMS client for the hostile-peer tests: bytes on a socket, no library in between.

It associates with the libIEC61850 client's captured CR and AARQ (Tests/Fixtures/vectors) and sends
confirmed read requests built here, so a test can pipeline, flood, cut frames short and time each
answer exactly.
"""

from __future__ import annotations

import os
import socket
import ssl
import time

# The CR and the CN (AARQ with the MMS initiate) of the libIEC61850 1.6.1 client, as captured.
CONNECTION_REQUEST = bytes.fromhex("0300001611e00000000100c0010dc2020001c1020001")
CONNECT = bytes.fromhex(
    "030000bb02f0800db20506130100160102140200023302000134020001c19c318199a003800101a28191810400000001"
    "820400000001a423300f0201010604520100013004060251013010020103060528ca220201300406025101615e305c02"
    "0101a0576055a107060528ca220203a20706052901876701a30302010ca606060429018767a70302010cbe2f282d0201"
    "03a028a826800300fde881010582010583010aa416800101810305f100820c03ee1c00000408000079ef18"
)


def ber(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def unsigned(tag: int, value: int) -> bytes:
    return ber(tag, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big"))


def data_frame(mms: bytes) -> bytes:
    """One MMS PDU in presentation user data (context 3), a session data SPDU, a COTP DT and TPKT."""
    pdv = ber(0x30, bytes([0x02, 0x01, 0x03]) + ber(0xA0, mms))
    tsdu = bytes([0x01, 0x00, 0x01, 0x00]) + ber(0x61, pdv)
    length = len(tsdu) + 7
    return bytes([0x03, 0x00, length >> 8, length & 0xFF, 0x02, 0xF0, 0x80]) + tsdu


def read_request(invoke_id: int, domain: str, item: str) -> bytes:
    name = ber(0xA1, ber(0x1A, domain.encode()) + ber(0x1A, item.encode()))
    spec = ber(0xA1, ber(0xA0, ber(0x30, ber(0xA0, name))))
    return data_frame(ber(0xA0, unsigned(0x02, invoke_id) + ber(0xA4, spec)))


def write_request(invoke_id: int, domain: str, item: str, data: bytes) -> bytes:
    """A confirmed write of one variable; `data` is its MMS Data element (tag included)."""
    name = ber(0xA1, ber(0x1A, domain.encode()) + ber(0x1A, item.encode()))
    spec = ber(0xA0, ber(0x30, ber(0xA0, name)))
    return data_frame(ber(0xA0, unsigned(0x02, invoke_id) + ber(0xA5, spec + ber(0xA0, data))))


def mms_pdu(frame: bytes) -> bytes:
    """The MMS PDU of a data frame: after TPKT, COTP DT, session and the presentation PDV header."""
    i = 7 + 4  # TPKT + DT, then the session give-tokens and data SPDUs
    # presentation: 61 len 30 len 02 01 03 a0 len MMS
    def skip_header(at: int) -> tuple[int, int]:
        length = frame[at + 1]
        if length & 0x80:
            n = length & 0x7F
            return at + 2 + n, int.from_bytes(frame[at + 2:at + 2 + n], "big")
        return at + 2, length
    i, _ = skip_header(i)  # 61
    i, _ = skip_header(i)  # 30
    i += 3  # 02 01 03
    i, length = skip_header(i)  # a0
    return frame[i:i + length]


class RawClient:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0, tls=None) -> None:
        """tls: an ssl.SSLContext to speak through (the server's name is then checked as "localhost")."""
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
        self.invoke_id = 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def frame(self) -> bytes:
        """One whole TPKT frame (raises ConnectionError when the server closed)."""
        header = self._exactly(4)
        length = int.from_bytes(header[2:4], "big")
        return header + self._exactly(length - 4)

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def associate(self) -> None:
        self.sock.sendall(CONNECTION_REQUEST)
        cc = self.frame()
        assert cc[5] == 0xD0, f"expected a CC, got {cc.hex()}"
        self.sock.sendall(CONNECT)
        ac = self.frame()
        assert ac[7] == 0x0E, f"expected an AC SPDU, got {ac.hex()}"

    def read(self, domain: str = "DEMOMeasurement", item: str = "MMXU1$MX$TotW$mag$f") -> bytes:
        """A confirmed read; returns the answer's TPKT frame."""
        self.invoke_id += 1
        self.sock.sendall(read_request(self.invoke_id, domain, item))
        return self.frame()

    def write(self, domain: str, item: str, data: bytes) -> bytes:
        """A confirmed write; returns the answer's MMS PDU."""
        self.invoke_id += 1
        self.sock.sendall(write_request(self.invoke_id, domain, item, data))
        return mms_pdu(self.frame())

    def timed_read(self, **kwargs) -> float:
        start = time.perf_counter()
        answer = self.read(**kwargs)
        elapsed = time.perf_counter() - start
        assert b"\xa1" in answer, f"not a confirmed response: {answer.hex()}"
        return elapsed

    def is_closed(self, wait: float = 2.0) -> bool:
        """Whether the server closed the connection within `wait` seconds (data read meanwhile is dropped)."""
        self.sock.settimeout(0.1)
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                try:
                    if self.sock.recv(65536) == b"":
                        return True
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError, ssl.SSLError):  # a TLS session cut without close_notify
                    return True
            return False
        finally:
            self.sock.settimeout(5.0)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def closed_now(s) -> bool:
    """Whether the server has closed this connection (a TLS one: sent close_notify or cut it) already."""
    if isinstance(s, ssl.SSLSocket):
        s.settimeout(0.05)
        try:
            return s.recv(1) == b""
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            return True
    raw = socket.socket(fileno=os.dup(s.fileno()))
    raw.setblocking(False)
    try:
        return raw.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        raw.close()


def assert_idle_connections_time_out(idle: list, associate, starved: float) -> None:
    """Of connections just opened to a server with ten slots and a 1.5 s establishment timeout: the two
    over the limit are closed at once, the others after the timeout, and meanwhile `associate()` gives a
    client whose read is faster than `starved`. Closes them all."""
    try:
        time.sleep(0.3)
        closed_at_once = sum(closed_now(s) for s in idle)
        assert closed_at_once == 2, f"{closed_at_once} of the 2 surplus connections were closed at once"
        time.sleep(2.0)  # past the 1.5 s establishment timeout
        client = associate()
        assert client.timed_read() < starved
        client.close()
        assert all(closed_now(s) for s in idle), "an idle connection was still open after the establishment timeout"
    finally:
        for s in idle:
            s.close()
