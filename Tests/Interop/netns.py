"""Network namespaces for the high-availability tests: two gateways, a SCADA host, two networks.

Run as root (ip netns, keepalived). Nothing here touches the root namespace's links or addresses,
and no link leaves the namespaces, so no packet goes anywhere else.

    hub namespace:   bridge "station" (SCADA, VRRP, MMS)      bridge "field" (Modbus TCP)
                         |           |           |                |          |          |
    gwa:             station 10.61.0.11/24                    field 10.62.0.11/24
    gwb:             station 10.61.0.12/24                    field 10.62.0.12/24
    scada:           station 10.61.0.2/24                     field 10.62.0.2/24
    keepalived moves the virtual address 10.61.0.100/24 between gwa and gwb (on their "station").

Namespaces are named "i61850-<pid>-<n>-<node>" (pid of the test process, n counts topologies in
it), so parallel runs do not clash and remove_stale() can tell a crashed run's leftovers.

    with Topology() as topo:                          # close() removes everything, also on failure
        topo.exec("scada", "ip", "-br", "address")
        ka = topo.keepalived("gwa", priority=150, gateway=..., gateway_config=...)
        ka.start(); topo.wait_until(lambda: topo.has_address("gwa", topo.VIRTUAL_ADDRESS), 6, "gwa master")
        ka.kill()                                     # SIGKILL: as a crash, the address stays
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
KEEPALIVED_DIR = os.path.join(REPO, "deploy", "keepalived")
PREFIX = "i61850-"
RUN_DIR = "/run"  # root-owned, not world-writable: scripts copied here pass enable_script_security
_STALE = re.compile(r"^" + re.escape(PREFIX) + r"(\d+)-")
_counter = itertools.count(1)


def run(*cmd: str, check: bool = True, timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Run a command in the current namespace; output captured as text; raises on failure when check."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> exit status {proc.returncode}: {proc.stderr.strip()}")
    return proc


def wait_until(predicate, timeout: float, what, interval: float = 0.05):
    """Calls predicate until it returns something true and returns that; after timeout seconds raises
    TimeoutError naming what (a text, or a function giving one, called then to tell the state)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:g} s: {what() if callable(what) else what}")
        time.sleep(interval)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_namespace_processes(ns: str) -> None:
    """SIGKILL whatever still runs in a namespace (a keepalived child, a script, a server)."""
    pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def _delete_namespace(ns: str) -> None:
    _kill_namespace_processes(ns)
    run("ip", "netns", "delete", ns, check=False)


def remove_stale() -> list[str]:
    """Removes namespaces and /run folders left by runs whose process is gone; returns their names."""
    removed = []
    for entry in json.loads(run("ip", "-json", "netns", "list").stdout or "[]"):
        ns = entry["name"]
        match = _STALE.match(ns)
        if match and not _alive(int(match.group(1))):
            _delete_namespace(ns)
            removed.append(ns)
    for name in os.listdir(RUN_DIR):
        match = _STALE.match(name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(RUN_DIR, name), ignore_errors=True)
            removed.append(os.path.join(RUN_DIR, name))
    return removed


class Topology:
    """The namespaces above; build() makes them (the with statement does), close() removes them."""

    VIRTUAL_ADDRESS = "10.61.0.100/24"
    NODES = {  # node: (station address, field address)
        "gwa": ("10.61.0.11/24", "10.62.0.11/24"),
        "gwb": ("10.61.0.12/24", "10.62.0.12/24"),
        "scada": ("10.61.0.2/24", "10.62.0.2/24"),
    }
    BRIDGES = ("station", "field")  # also the name of each node's interface on that bridge

    def __init__(self, workdir: str | None = None) -> None:
        self.tag = f"{PREFIX}{os.getpid()}-{next(_counter)}"
        self.names = {node: f"{self.tag}-{node}" for node in ("hub", *self.NODES)}
        # Root-only folder for the keepalived scripts (enable_script_security); pid files too.
        self.rundir = tempfile.mkdtemp(prefix=self.tag + "-", dir=RUN_DIR)
        os.chmod(self.rundir, 0o755)
        self.workdir = workdir or self.rundir  # keepalived configurations and logs
        self._procs: list[subprocess.Popen] = []
        self._keepalived: list[Keepalived] = []
        self._built: list[str] = []

    # -------------------------------------------------------------------------- life cycle
    def __enter__(self) -> Topology:
        try:
            self.build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def build(self) -> None:
        for node, ns in self.names.items():
            run("ip", "netns", "add", ns)
            self._built.append(ns)
            # IPv4 only: no IPv6 router solicitations, DAD or MLD reports on the bridges.
            self.exec(node, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            self.exec(node, "ip", "link", "set", "lo", "up")
        hub = self.names["hub"]
        for bridge in self.BRIDGES:
            # No STP (ports forward at once); multicast goes everywhere, as on a plain switch.
            run("ip", "-n", hub, "link", "add", bridge, "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
            run("ip", "-n", hub, "link", "set", bridge, "up")
        for node, addresses in self.NODES.items():
            ns = self.names[node]
            for bridge, address in zip(self.BRIDGES, addresses):
                port = self.port(node, bridge)
                run("ip", "-n", ns, "link", "add", bridge, "type", "veth", "peer", "name", port, "netns", hub)
                run("ip", "-n", hub, "link", "set", port, "master", bridge, "up")
                run("ip", "-n", ns, "address", "add", address, "dev", bridge)
                run("ip", "-n", ns, "link", "set", bridge, "up")

    def close(self) -> None:
        """Stops every process started here and removes the namespaces and the /run folder."""
        for ka in self._keepalived:
            ka.kill()
        for proc in self._procs:
            kill_group(proc)
        for ns in reversed(self._built):
            _delete_namespace(ns)
        self._built.clear()
        shutil.rmtree(self.rundir, ignore_errors=True)

    # ---------------------------------------------------------------------------- commands
    def ns(self, node: str) -> str:
        return self.names[node]

    def exec(self, node: str, *cmd: str, check: bool = True, timeout: float = 10.0) -> subprocess.CompletedProcess:
        """Runs cmd in node's namespace and waits for it (output captured as text)."""
        return run("ip", "netns", "exec", self.names[node], *cmd, check=check, timeout=timeout)

    def popen(self, node: str, cmd: list[str], **kwargs) -> subprocess.Popen:
        """Starts cmd in node's namespace in a session of its own; close() kills it if still running."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.names[node], *cmd], start_new_session=True, **kwargs)
        return self.track(proc)

    def track(self, proc: subprocess.Popen) -> subprocess.Popen:
        """Has close() kill proc's process group too (a process started elsewhere, in a session of its own)."""
        self._procs.append(proc)
        return proc

    @staticmethod
    def port(node: str, bridge: str) -> str:
        """Name of node's bridge port in the hub, e.g. gwa-st, gwa-fi."""
        return f"{node}-{bridge[:2]}"

    def set_link(self, node: str, interface: str, up: bool, *, cable: bool = False) -> None:
        """Sets node's interface ("station", "field") down or up, e.g. to cut a gateway's field link.
        cable=True sets the hub's end down instead: the node's interface stays up but loses its
        carrier, as when a cable is pulled."""
        if cable:
            run("ip", "-n", self.names["hub"], "link", "set", self.port(node, interface), "up" if up else "down")
        else:
            run("ip", "-n", self.names[node], "link", "set", interface, "up" if up else "down")

    def addresses(self, node: str, interface: str | None = None) -> set[str]:
        """IPv4 addresses of node (one interface or all but lo), as "10.61.0.11/24"."""
        cmd = ["ip", "-n", self.names[node], "-json", "-4", "address", "show"]
        if interface:
            cmd += ["dev", interface]
        out = set()
        for link in json.loads(run(*cmd).stdout or "[]"):
            if link.get("ifname") == "lo":
                continue
            for info in link.get("addr_info", []):
                out.add(f"{info['local']}/{info['prefixlen']}")
        return out

    def has_address(self, node: str, address: str) -> bool:
        """Whether node holds address ("10.61.0.100" or "10.61.0.100/24")."""
        wanted = str(ipaddress.ip_interface(address).ip)
        return any(a.split("/")[0] == wanted for a in self.addresses(node))

    def holders(self, address: str = VIRTUAL_ADDRESS) -> list[str]:
        """The gateway nodes that hold address (normally exactly one: the VRRP master)."""
        return [node for node in ("gwa", "gwb") if self.has_address(node, address)]

    wait_until = staticmethod(wait_until)

    # --------------------------------------------------------------------------- keepalived
    def keepalived(self, node: str, *, priority: int, gateway: str, gateway_config: str,
                   router_id: int = 61, interface: str = "station", virtual_address: str = VIRTUAL_ADDRESS,
                   ) -> Keepalived:
        """A keepalived for node from deploy/keepalived (not started yet)."""
        ka = Keepalived(self, node, {
            "INTERFACE": interface,
            "VIRTUAL_ADDRESS": virtual_address,
            "PRIORITY": str(priority),
            "ROUTER_ID": str(router_id),
            "GATEWAY": gateway,
            "GATEWAY_CONFIG": gateway_config,
            "SCRIPTS": self._scripts(),
        })
        self._keepalived.append(ka)
        return ka

    def _scripts(self) -> str:
        """Copies the shipped scripts into the root-only /run folder (once) and returns that folder.

        enable_script_security runs a root script only if the script and every folder above it are
        owned by root and not writable by group (unless the group is root) or others; a folder with
        the sticky bit (/tmp) is allowed. Only the script itself is checked, not its arguments (the
        gateway binary) nor the interpreter. A repository checkout may be anyone's, so copy.
        """
        folder = os.path.join(self.rundir, "scripts")
        if not os.path.isdir(folder):
            os.mkdir(folder, 0o755)
            for name in ("check-gateway", "notify-gateway"):
                target = os.path.join(folder, name)
                shutil.copyfile(os.path.join(KEEPALIVED_DIR, name), target)
                os.chmod(target, 0o755)
        return folder


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Sends sig to proc's process group (proc started with start_new_session) and waits for proc."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


_kill_group = kill_group  # earlier name


class Keepalived:
    """One keepalived (VRRP only) in a node's namespace, in the foreground, logging to a file."""

    def __init__(self, topo: Topology, node: str, parameters: dict[str, str]) -> None:
        self.topo, self.node, self.parameters = topo, node, parameters
        base = os.path.join(topo.workdir, f"keepalived-{node}")
        self.config = base + ".conf"
        self.log = base + ".log"
        pids = os.path.join(topo.rundir, f"keepalived-{node}")
        self.pidfiles = {flag: f"{pids}.{kind}.pid" for flag, kind in
                         (("-p", "main"), ("-r", "vrrp"), ("-c", "checkers"), ("-b", "bfd"))}
        self.proc: subprocess.Popen | None = None
        with open(os.path.join(KEEPALIVED_DIR, "keepalived.conf")) as f:
            self.text = substitute(f.read(), parameters)
        with open(self.config, "w") as f:
            f.write(self.text)

    @property
    def command(self) -> list[str]:
        # -n foreground; -P VRRP only; -l -D log in detail to stderr (the log file); -G no syslog;
        # pid files of our own: with the default ones (/run/keepalived.pid, /run/vrrp.pid) a second
        # keepalived on the host logs "daemon is already running" and exits 0.
        cmd = ["keepalived", "-n", "-P", "-l", "-D", "-G", "-f", self.config]
        for flag, path in self.pidfiles.items():
            cmd += [flag, path]
        return cmd

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"keepalived on {self.node} already runs")
        with open(self.log, "a") as log:
            log.write(f"---- start {time.strftime('%H:%M:%S')}: {' '.join(self.command)}\n")
            log.flush()
            self.proc = self.topo.popen(self.node, self.command, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to keepalived and its VRRP child at once: a crash. The virtual address stays
        where it was and no notify runs. (SIGKILL to the main process alone is no crash: keepalived
        gives its children SIGTERM as parent-death signal, so the VRRP child stops cleanly.)
        The VRRP child, reparented, is reaped by init: it may show as <defunct> for a moment."""
        if self.proc is not None:
            kill_group(self.proc)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM: a clean stop (priority 0 advertisement, address removed, notify STOP)."""
        if not self.running:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def log_text(self) -> str:
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def substitute(text: str, parameters: dict[str, str]) -> str:
    """Replaces the value of each "$NAME=value" definition line; each name must be defined once."""
    out = text
    for name, value in parameters.items():
        pattern = re.compile(r"^(\s*\$" + re.escape(name) + r"=).*$", re.MULTILINE)
        out, count = pattern.subn(lambda m: m.group(1) + value, out)
        if count != 1:
            raise ValueError(f"keepalived.conf defines ${name} {count} times, expected once")
    return out
