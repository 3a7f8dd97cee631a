"""Hot standby (a redundant pair): two gateways, keepalived from deploy/keepalived, one virtual address.

Runs as root in network namespaces of its own (netns.py): gwa and gwb (the gateways, each with its
keepalived), scada (both PyPI clients and the bundled Modbus TCP simulator), on a station bridge
(SCADA, VRRP, MMS) and a field bridge (Modbus TCP). Each gateway also has a serial line (Modbus
RTU) of its own: a simulator on a pseudo-terminal, which must hear nothing while its gateway stands by.
No packet leaves the namespaces.

Time limits: the issue asks for a failover within 10 s (kill of the active node, or its field link cut)
and a client that reassociates through the same address; the SCADA side retries every 0.2 s.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time

import pytest

import netns
from clients import CLIENTS, Bits, ClientError
from conftest import REPO, SCL, Server, collect_client, run_client, spawn_client
from netns import Topology, wait_until

GATEWAY = os.path.join(REPO, ".build", "debug", "iec61850-gateway")
SIMULATOR = os.path.join(REPO, ".build", "debug", "modbus-simulator")
VIRTUAL = "10.61.0.100"
OWN = {"gwa": "10.61.0.11", "gwb": "10.61.0.12"}
PRIORITY = {"gwa": 150, "gwb": 100}
FAILOVER_LIMIT = 10.0
HAND_OVER_MS = 1000

LD = "DEMOGenericIO"
TOTW = ("DEMOMeasurement/MMXU1.TotW.mag.f", "MX")
ROLE = ("DEMODiag/LPHD1.RedAct.stVal", "ST")
SPCSO1 = f"{LD}/GGIO1.SPCSO1"
BRCB = f"{LD}/LLN0.BR.brcbEvents01"
URCB = f"{LD}/LLN0.RP.urcbEvents01"
HEALTH_URCB = "DEMODiag/LLN0.RP.urcbHealth01"  # data set Health: PhyHealth, RedAct, then each LCCH's ChLiv
BLOCKED_BY_MODE = 8

CONFIG = """\
model: {{scl: {scl}}}
diagnostics: true
server: {{port: 102}}
http: {{port: 8102}}
event-log: {{path: {dir}/events.sqlite}}
redundancy:
  node: {node}
  state: {dir}/state
  hand-over-ms: {hand_over}
  peer: {peer}
  virtual-address: 10.61.0.100
modbus:
  - name: dev
    tcp: 10.62.0.2:1502
    word-order: little
    timeout-ms: 300
    retry-ms: 300
  - name: line
    rtu: {{device: {dir}/rtu}}
    timeout-ms: 300
    retry-ms: 300
points:
  - ref: Measurement/MMXU1.TotW
    poll-ms: 100
    modbus: {{device: dev, table: input, address: 52, type: float32}}
  - ref: GenericIO/GGIO1.Ind1
    poll-ms: 100
    modbus: {{device: dev, table: coil, address: 5}}
  - ref: GenericIO/GGIO1.SPCSO1
    poll-ms: 100
    modbus: {{device: dev, table: coil, address: 12}}
    control: {{modbus: {{device: dev, table: coil, address: 12}}, confirm-ms: 2000}}
  - ref: GenericIO/GGIO1.Ind2
    poll-ms: 100
    modbus: {{device: line, table: coil, address: 3}}
"""

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces and keepalived need root (CI runs as root)"),
]


class Simulator:
    """A modbus-simulator with its stdin protocol: ask() sends a line and returns the answer."""

    def __init__(self, proc: subprocess.Popen, what: str) -> None:
        self.proc, self.what, self._pending = proc, what, b""
        wait_until(lambda: self._try("stats"), 10, f"{what} answers")

    def _try(self, line: str) -> bool:
        try:
            return self.ask(line, timeout=1.0).startswith("ok")
        except TimeoutError:
            return False

    def ask(self, line: str, timeout: float = 5.0) -> str:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.what} exited with {self.proc.returncode}")
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.what}: no answer to {line!r}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError(f"{self.what} closed its output")
                self._pending += chunk
        answer, self._pending = self._pending.split(b"\n", 1)
        return answer.decode()

    def set(self, line: str) -> None:
        answer = self.ask(line)
        assert answer == "ok", f"{self.what}: {line!r} -> {answer!r}"

    def stats(self) -> tuple[int, int]:
        """(requests answered, writes among them)."""
        words = self.ask("stats").split()
        return int(words[1]), int(words[2])


class Node:
    """One gateway of the pair: its configuration, its serial line's simulator, its keepalived."""

    def __init__(self, topo: Topology, name: str, workdir: str) -> None:
        self.topo, self.name = topo, name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.config = os.path.join(self.dir, "gateway.yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(scl=SCL, dir=self.dir, node=name, hand_over=HAND_OVER_MS, peer=OWN[other(name)]))
        self.log = os.path.join(self.dir, "gateway.log")
        # The serial line is the node's own: a pseudo-terminal needs no namespace.
        with open(os.path.join(self.dir, "rtu.log"), "ab") as err:
            proc = subprocess.Popen([SIMULATOR, "--rtu", os.path.join(self.dir, "rtu"), "--units", "1"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=err, start_new_session=True)
        topo.track(proc)  # killed with the topology
        self.rtu = Simulator(proc, f"{name}'s RTU simulator")
        self.keepalived = topo.keepalived(name, priority=PRIORITY[name], gateway=GATEWAY, gateway_config=self.config)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """The gateway, then (once it has written its status) its keepalived. A node restarted after a
        crash finds keepalived's last word (active) in its role file: it stands by and is unhealthy
        until its keepalived, started again, says BACKUP or FAULT."""
        with open(self.log, "ab") as log:
            self.proc = self.topo.popen(self.name, [GATEWAY, "run", "--config", self.config], stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log)
        wait_until(lambda: self.status().get("pid") == self.proc.pid, 20, f"{self.name} writes its status")
        self.first_status = self.status()
        self.keepalived.start()
        wait_until(self.healthy, 20, f"{self.name} healthy ({self.status()})")

    def kill(self) -> None:
        """The node dies: SIGKILL to the gateway and to keepalived. Its interface keeps the virtual
        address a killed keepalived leaves behind, as a hung host would; remove_address() is the reboot."""
        if self.proc is not None:
            netns.kill_group(self.proc)
        self.keepalived.kill()

    def remove_address(self) -> None:
        """What a reboot does to an address keepalived added: it is gone."""
        self.topo.exec(self.name, "ip", "address", "del", f"{VIRTUAL}/24", "dev", "station", check=False)

    def healthy(self) -> bool:
        return subprocess.run([GATEWAY, "health", "--config", self.config], capture_output=True, timeout=10).returncode == 0

    def status(self) -> dict:
        try:
            with open(os.path.join(self.dir, "state", "status.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def role(self) -> str | None:
        return self.status().get("role")

    def http(self, path: str) -> str:
        """GET path from the node's HTTP side (127.0.0.1:8102 in its namespace)."""
        code = ("import sys, urllib.request\n"
                "print(urllib.request.urlopen('http://127.0.0.1:8102' + sys.argv[1], timeout=3).read().decode())")
        return self.topo.exec(self.name, "python3", "-c", code, path).stdout

    def http_health(self) -> dict:
        return json.loads(self.http("/api/health"))

    def events(self, kind: str) -> list[dict]:
        out = subprocess.run([GATEWAY, "events", "--event-log", os.path.join(self.dir, "events.sqlite"), "--kind", kind, "--format", "json"],
                             capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture
def pair(tmp_path):
    """The topology, the field simulator and both nodes running, one of them the VRRP master."""
    for tool in ("keepalived", "ip"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (the test command installs keepalived and iproute2)")
    for binary in (GATEWAY, SIMULATOR):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is missing; build it (swift build)")
    netns.remove_stale()
    with Topology(workdir=str(tmp_path)) as topo:
        with open(tmp_path / "field.log", "ab") as err:
            proc = topo.popen("scada", [SIMULATOR, "--port", "1502", "--bind", "10.62.0.2"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=err)
        field = Simulator(proc, "the field simulator")
        field.set("set input 52 float32 1.5 big little")
        nodes = {name: Node(topo, name, str(tmp_path)) for name in ("gwa", "gwb")}
        for node in nodes.values():
            node.start()
        # The logs stay in tmp_path: gwa/gateway.log, keepalived-gwa.log, field.log...
        wait_until(lambda: len(topo.holders()) == 1, 12, "one node holds the virtual address")
        active = topo.holders()[0]
        wait_until(lambda: nodes[active].role() == "active", 5, f"{active} takes the active role")
        yield topo, field, nodes


def through(address: str) -> Server:
    return Server(None, address, 102, None)


def read_when_up(kind: str, topo: Topology, address: str, ref: tuple[str, str], limit: float) -> tuple[object, float]:
    """Associates through address until it works (every 0.2 s, at most limit s) and reads ref:
    (value, seconds until the read succeeded)."""
    started = time.monotonic()

    def body(c):
        deadline = started + limit
        while True:
            try:
                c.connect(address, 102, None)
                return c.read(*ref)
            except ClientError:
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    value = run_client(kind, through(address), body, connect=False, netns=topo.ns("scada"), timeout=limit + 30)
    return value, time.monotonic() - started


def wait_for_value(c, member: int, value, limit: float = 10.0) -> list[dict]:
    """The reports until one carries value for data set member (at most limit s): the test changes
    the field meanwhile (while_session)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        reports = c.wait_reports(1, 0.2)
        if any(r["values"].get(member) == value for r in reports):
            return c.take_reports()
    return c.take_reports()


def while_session(kind: str, topo: Topology, body, change, delay: float = 2.5):
    """Runs body in a client session through the virtual address and calls change() in this process
    delay s after it started (a client session is a child process; the simulators belong to this one)."""
    proc = spawn_client(kind, through(VIRTUAL), body, netns=topo.ns("scada"))
    time.sleep(delay)
    change()
    return collect_client(proc, timeout=60)


def other(name: str) -> str:
    return "gwb" if name == "gwa" else "gwa"


def check_standby(topo: Topology, node: Node, field: Simulator, kinds) -> None:
    """A standby: reads nothing on its serial line, says standby everywhere, executes no control."""
    before = node.rtu.stats()
    time.sleep(1.5)
    assert node.rtu.stats() == before, f"{node.name} stands by but its serial line heard requests: {before} -> {node.rtu.stats()}"
    assert node.role() == "standby"
    assert node.http_health()["role"] == "standby"
    writes = field.stats()[1]
    for kind in kinds:
        def direct(c):
            return c.read(*ROLE), c.operate(SPCSO1, True)

        role, result = run_client(kind, through(OWN[node.name]), direct, netns=topo.ns("scada"))
        assert role is False, f"{kind}: {node.name}'s RedAct read {role!r} on its own address"
        assert not result["ok"], f"{kind}: a control sent to the standby: {result}"
        # The Rust client does not expose LastApplError for a refused direct operate (None), as in test_controls.py.
        expected = (BLOCKED_BY_MODE,) if kind == "libiec61850" else (BLOCKED_BY_MODE, None)
        assert result["add_cause"] in expected, f"{kind}: AddCause of a control sent to the standby: {result}"
    assert field.stats()[1] == writes, "a control sent to the standby reached the field"
    refused = [e for e in node.events("command") if e.get("cause") == "blockedByMode" and "standby" in e.get("detail", "")]
    assert refused, f"no event for the refused controls: {node.events('command')[-3:]}"


def test_the_survivor_serves_within_10_s_when_the_active_node_dies(pair):
    topo, field, nodes = pair
    first = topo.holders()[0]
    survivor = other(first)
    kinds = list(CLIENTS)

    # Before: both clients read through the virtual address; the active node drives its serial line
    # (after the hand-over delay); the standby stands by.
    for kind in kinds:
        value, _ = read_when_up(kind, topo, VIRTUAL, TOTW, 5)
        assert value == pytest.approx(1.5), f"{kind}: TotW through the virtual address: {value!r}"
        role, _ = read_when_up(kind, topo, VIRTUAL, ROLE, 5)
        assert role is True, f"{kind}: RedAct through the virtual address: {role!r}"
    wait_until(lambda: nodes[first].rtu.stats()[0] > 0, 5, f"{first} polls its serial line")
    check_standby(topo, nodes[survivor], field, kinds)

    # A buffered report from the active node: its EntryID is what a SCADA would resynchronise with.
    # (A client session runs in a child process: the test changes the field while it waits.)
    def subscribe(c):
        v = c.rcb_values(BRCB)
        c.set_rcb(BRCB, OptFlds=Bits(v["OptFlds"][:6] + "1" + v["OptFlds"][7:]))  # + buffer-overflow
        c.subscribe(BRCB, v["RptID"])
        c.set_rcb(BRCB, RptEna=True)
        return [{"entry_id": r["entry_id"], "values": r["values"]} for r in wait_for_value(c, 0, True)]

    reports = while_session("libiec61850", topo, subscribe, lambda: field.set("set coil 5 bool true"))
    assert reports and reports[-1]["entry_id"], f"no buffered report before the failure: {reports}"
    old_entry = reports[-1]["entry_id"]

    # A monitoring client on the standby's own address takes the diagnostics LD's reports: it must see
    # RedAct turn true when its node takes over.
    def monitor(c):
        c.subscribe(HEALTH_URCB, c.rcb_values(HEALTH_URCB)["RptID"])
        c.set_rcb(HEALTH_URCB, RptEna=True)
        return [r["values"] for r in wait_for_value(c, 1, True, limit=25)]

    watching = spawn_client("libiec61850", through(OWN[survivor]), monitor, netns=topo.ns("scada"))
    time.sleep(2)

    # The active node dies; the value changes in the field meanwhile.
    writes_before = field.stats()[1]
    killed = time.monotonic()
    nodes[first].kill()
    field.set("set input 52 float32 2.75 big little")
    for kind in kinds:
        value, _ = read_when_up(kind, topo, VIRTUAL, TOTW, FAILOVER_LIMIT)
        took = time.monotonic() - killed
        assert value == pytest.approx(2.75), f"{kind}: TotW after the failover: {value!r}"
        assert took < FAILOVER_LIMIT, f"{kind}: the first good read came {took:.1f} s after the kill"
    failover = time.monotonic() - killed
    print(f"failover: both clients read the new value {failover:.2f} s after the kill")
    assert topo.holders() in ([survivor], [first, survivor], [survivor, first])  # the dead node may keep a stale address
    nodes[first].remove_address()
    assert nodes[survivor].role() == "active"
    assert nodes[survivor].http_health()["role"] == "active"
    assert 'gateway_role{role="active"} 1' in nodes[survivor].http("/metrics")
    seen = collect_client(watching, timeout=60)
    assert any(values.get(1) is True for values in seen), f"the survivor's RedAct was not reported true: {seen}"

    # On the survivor: the role object, reports after re-enabling (the old EntryID is unknown there:
    # refused, and the buffer comes with BufOvfl), and a control that reaches the field exactly once.
    def after(c):
        out = {"role": c.read(*ROLE)}
        v = c.rcb_values(BRCB)
        c.set_rcb(BRCB, OptFlds=Bits(v["OptFlds"][:6] + "1" + v["OptFlds"][7:]))
        c.subscribe(BRCB, v["RptID"])
        try:
            c.set_rcb(BRCB, EntryID=old_entry)
            out["entry"] = "ok"
        except ClientError as e:
            out["entry"] = e.kind
        out["opt"] = str(c.rcb_values(BRCB)["OptFlds"])
        c.set_rcb(BRCB, RptEna=True)
        c.wait_reports(1, 1.0)
        out["resync"] = [{"buf_ovfl": r["buf_ovfl"], "values": r["values"]} for r in c.take_reports()]
        out["live"] = [{"values": r["values"]} for r in wait_for_value(c, 0, False)]
        out["operate"] = c.operate(SPCSO1, True)
        return out

    out = while_session("libiec61850", topo, after, lambda: field.set("set coil 5 bool false"))
    assert out["role"] is True
    assert out["entry"] != "ok", "the failed node's EntryID was accepted by the new active node"
    assert out["resync"] and out["resync"][0]["buf_ovfl"] is True, f"first report after the resync: {out['resync']} (OptFlds {out['opt']})"
    assert out["live"], f"no report of the change after re-enabling: {out['live']}"
    assert out["operate"]["ok"], f"operate through the survivor: {out['operate']}"
    time.sleep(0.5)
    assert field.stats()[1] - writes_before == 1, "the control did not reach the field exactly once"

    def rust_after(c):
        c.subscribe(URCB, c.rcb_values(URCB)["RptID"])
        c.set_rcb(URCB, RptEna=True)
        return [r["values"] for r in wait_for_value(c, 0, True)]

    live = while_session("rust-iec61850", topo, rust_after, lambda: field.set("set coil 5 bool true"))
    assert live, "rust-iec61850: no report from the survivor"

    # The failed node comes back: as the standby (nopreempt), polling nothing it must not. Its role file
    # still says active (its keepalived died without a word): it stands by, unhealthy, until asked again.
    nodes[first].start()
    assert nodes[first].first_status.get("role") == "standby" and nodes[first].first_status.get("healthy") is False, nodes[first].first_status
    assert "before this gateway started" in nodes[first].first_status.get("reason", ""), nodes[first].first_status
    time.sleep(4)  # several advertisement intervals: a preempting node would have taken over by now
    assert topo.holders() == [survivor], f"the virtual address moved back: {topo.holders()}"
    wait_until(lambda: nodes[first].role() == "standby", 5, f"{first} comes back as the standby")
    check_standby(topo, nodes[first], field, kinds)
    # Each node's event log has its own roles; `events` merges both by time, naming the node.
    merged = subprocess.run([GATEWAY, "events", "--kind", "role", "--format", "json"]
                            + [f"--event-log={os.path.join(nodes[n].dir, 'events.sqlite')}" for n in ("gwa", "gwb")],
                            capture_output=True, text=True, timeout=20)
    assert merged.returncode == 0, merged.stderr
    roles = [(e["node"], e["result"]) for e in json.loads(merged.stdout)]
    assert (first, "active") in roles and (survivor, "active") in roles, roles
    assert roles.index((first, "active")) < roles.index((survivor, "active")), roles


def test_a_node_whose_field_link_is_cut_hands_over(pair):
    topo, field, nodes = pair
    first = topo.holders()[0]
    survivor = other(first)
    value, _ = read_when_up("libiec61850", topo, VIRTUAL, TOTW, 5)
    assert value == pytest.approx(1.5)
    cut = time.monotonic()
    topo.set_link(first, "field", False)
    field.set("set input 52 float32 3.25 big little")
    wait_until(lambda: topo.holders() == [survivor], FAILOVER_LIMIT, f"the virtual address moves to {survivor}")
    for kind in CLIENTS:
        value, _ = read_when_up(kind, topo, VIRTUAL, TOTW, FAILOVER_LIMIT)
        assert value == pytest.approx(3.25), f"{kind}: TotW after the hand-over: {value!r}"
    took = time.monotonic() - cut
    print(f"hand-over after the field link cut: both clients read the new value {took:.2f} s after the cut")
    assert took < FAILOVER_LIMIT
    assert nodes[survivor].role() == "active"
    wait_until(lambda: nodes[first].role() == "standby", 5, f"{first} stands by")
    # (Its keepalived removed the address first: for a moment the node says it stood down for want of it.)
    wait_until(lambda: "no field source answers" in (nodes[first].status().get("reason") or ""), 5,
               lambda: f"{first} says why it is unhealthy: {nodes[first].status()}")
    # The link comes back: the node is healthy again, and stays the standby.
    topo.set_link(first, "field", True)
    wait_until(nodes[first].healthy, 10, f"{first} healthy again")
    time.sleep(3)
    assert topo.holders() == [survivor]
    assert nodes[first].role() == "standby"


def test_a_field_outage_both_nodes_share_leaves_the_address_where_it_is(pair):
    """Both nodes lose the field (the device dies): handing over would not help, so the active node
    keeps the address and the clients keep their association and see the qualities turn invalid."""
    topo, field, nodes = pair
    first = topo.holders()[0]
    survivor = other(first)

    def watch(c):
        before = c.read("DEMOMeasurement/MMXU1.TotW.q", "MX")
        deadline, after = time.monotonic() + 15, None
        while time.monotonic() < deadline:
            after = c.read("DEMOMeasurement/MMXU1.TotW.q", "MX")
            if str(after)[:2] == "01":  # validity invalid
                break
            time.sleep(0.2)
        time.sleep(6)  # two failed checks and more: a node that hands over would have done so
        return str(before), str(after), c.read(*ROLE)

    proc = spawn_client("libiec61850", through(VIRTUAL), watch, netns=topo.ns("scada"))
    time.sleep(1.5)
    netns.kill_group(field.proc)  # the field device dies, for both nodes
    before, after, role = collect_client(proc, timeout=60)
    assert before.startswith("00") and after.startswith("01"), f"TotW.q {before} -> {after}, expected good -> invalid"
    assert role is True
    assert topo.holders() == [first], f"the address moved on a field outage both nodes share: {topo.holders()}"
    for name in (first, survivor):
        status = nodes[name].status()
        assert status.get("healthy") is True, f"{name}: {status}"
        assert "does not reach its field either" in (status.get("reason") or ""), f"{name}: {status}"
    assert nodes[first].role() == "active" and nodes[survivor].role() == "standby"

    # A notify that says active to the node without the virtual address (late, or out of order) does
    # not make it active: it stands by, the role command says so, and its health check fails until
    # keepalived (FAULT, then BACKUP) says standby again.
    wrong = subprocess.run([GATEWAY, "role", "active", "--config", nodes[survivor].config, "--wait", "1500"],
                           capture_output=True, text=True, timeout=20)
    assert wrong.returncode != 0 and "still standby" in wrong.stderr + wrong.stdout, (wrong.returncode, wrong.stdout, wrong.stderr)
    assert nodes[survivor].role() == "standby"
    assert "virtual address 10.61.0.100 is not on this machine" in (nodes[survivor].status().get("reason") or "")
    wait_until(lambda: nodes[survivor].status().get("requested") == "standby", 10, "keepalived sets the standby role again")
    assert topo.holders() == [first]
