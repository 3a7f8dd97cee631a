#!/usr/bin/env python3
"""Reference IEC 61850 server for validating the interop suite: PyPI `iec61850` (Rust) IedServer.

Usage (also as IEC61850_SERVER_CMD):
    python3 Tests/Interop/reference_server.py --scl {scl} --port {port} [--bind 127.0.0.1]
                                             [--password-env DEMO_PASSWORD]

The Rust IedServer has no ACSE authentication. With --password-env this script puts a small
TCP front end on --port that reads the client's first two TPKTs (COTP CR, then the CP SPDU that
carries the AARQ), requires the password mechanism (OID 2.2.3.1) and the right password, and
otherwise closes the connection; accepted connections are piped to the IedServer on an internal
port. That is enough for the association tests, not an implementation of AARE rejection.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket

import iec61850

PASSWORD_MECHANISM = bytes([0x8B, 0x03, 0x52, 0x03, 0x01])  # [11] mechanism-name 2.2.3.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ied_name_of(path: str) -> str:
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    return root.find("{http://www.iec.ch/61850/2003/SCL}IED").get("name")


def password_of_aarq(tpkt: bytes) -> bytes | None:
    """The GraphicString of authentication-value [12] { charstring [0] } if the mechanism is password."""
    i = tpkt.find(PASSWORD_MECHANISM)
    if i < 0:
        return None
    j = tpkt.find(b"\xac", i + len(PASSWORD_MECHANISM))
    if j < 0 or j + 4 > len(tpkt) or tpkt[j + 2] != 0x80:
        return None
    n = tpkt[j + 3]
    return tpkt[j + 4 : j + 4 + n]


def add_scl_data_sets(server, path: str) -> None:
    """IedServer.from_scl (iec61850 0.14) skips <DataSet>; register them with add_dataset.

    add_dataset takes "<LN>$<name>" and members as "<ldInst>/<LN>.<DO>.<DA>" (no IED name, no FC:
    the server finds the FC itself), all in the data set's own LD.
    """
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.iec.ch/61850/2003/SCL"}
    for ld in ET.parse(path).getroot().iter(f"{{{ns['s']}}}LDevice"):
        for ln in [ld.find("s:LN0", ns)] + ld.findall("s:LN", ns):
            if ln is None:
                continue
            ln_name = (ln.get("prefix") or "") + ln.get("lnClass") + (ln.get("inst") or "")
            for ds in ln.findall("s:DataSet", ns):
                paths = []
                for f in ds.findall("s:FCDA", ns):
                    member = f"{f.get('prefix') or ''}{f.get('lnClass')}{f.get('lnInst') or ''}.{f.get('doName')}"
                    if f.get("daName"):
                        member += "." + f.get("daName")
                    paths.append(f"{f.get('ldInst')}/{member}")
                server.add_dataset(f"{ln_name}${ds.get('name')}", paths)


async def read_tpkt(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(4)
    if head[0] != 3:
        raise ValueError("not a TPKT")
    length = int.from_bytes(head[2:4], "big")
    return head + await reader.readexactly(length - 4)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def front_end(password: bytes, upstream_port: int, reader, writer) -> None:
    try:
        cr = await asyncio.wait_for(read_tpkt(reader), 10)
        up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
        up_w.write(cr)
        await up_w.drain()
        cc = await asyncio.wait_for(read_tpkt(up_r), 10)
        writer.write(cc)
        await writer.drain()
        cp = await asyncio.wait_for(read_tpkt(reader), 10)
        if password_of_aarq(cp) != password:
            up_w.close()
            writer.close()
            return
        up_w.write(cp)
        await up_w.drain()
        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, ConnectionError):
        writer.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scl", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--password-env")
    args = ap.parse_args()

    password = os.environ.get(args.password_env, "").encode() if args.password_env else None
    server_port = free_port() if password is not None else args.port
    server = iec61850.IedServer.from_scl(args.scl, ied_name=ied_name_of(args.scl))
    add_scl_data_sets(server, args.scl)
    server.bind(f"{args.bind if password is None else '127.0.0.1'}:{server_port}")
    await server.start()
    front = None
    if password is not None:
        front = await asyncio.start_server(
            lambda r, w: front_end(password, server_port, r, w), args.bind, args.port
        )
    print(f"reference server (iec61850 {iec61850.__version__} IedServer) on {args.bind}:{args.port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if front is not None:
        front.close()
    try:
        await asyncio.wait_for(server.stop(), 2)
    except Exception:
        pass
    # skip interpreter finalisation: the Rust runtime's threads may still hold Python state
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
