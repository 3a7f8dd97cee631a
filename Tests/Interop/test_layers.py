"""The layering of DESIGN.md §3, checked on the target graph that `swift package dump-package` prints.

The field side (GatewayCore, the adapters, EventLog) must reach neither the MMS stack (MMS, BERCodec,
IEC61850Server) nor NIOPosix, and the model depends on nothing of ours. Issue 15 is taking the remaining
ties apart; until it is done, KNOWN lists the paths that exist today. The test fails on any path that is
not in it (a new tie), and on any listed path that is gone (so the list only ever shrinks).
"""

from __future__ import annotations

import json
import os
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIELD_SIDE = ["GatewayCore", "ModbusAdapter", "MQTTAdapter", "EventLog", "ModbusSimulatorTool"]
FORBIDDEN = {"MMS", "BERCodec", "IEC61850Server", "NIOPosix"}
OURS = {"BERCodec", "ISOTransport", "OSIUpperLayers", "MMS", "IEC61850Server", "GatewayCore", "EventLog", "ModbusAdapter",
        "MQTTAdapter", "CModbus", "CMosquitto", "CSQLite", "TestSupport", "CSessionTickets"}
# (target, what it must not reach) pairs that exist today, to be removed by issue 15.
KNOWN = {
    (target, forbidden)
    for target in ["GatewayCore", "ModbusAdapter", "MQTTAdapter", "EventLog", "ModbusSimulatorTool"]
    for forbidden in ["MMS", "BERCodec", "IEC61850Server", "NIOPosix"]
}


def graph() -> dict[str, set[str]]:
    dump = subprocess.run(["swift", "package", "dump-package"], cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    edges: dict[str, set[str]] = {}
    for target in json.loads(dump.stdout)["targets"]:
        names = set()
        for dependency in target["dependencies"]:
            if "byName" in dependency:
                names.add(dependency["byName"][0])
            elif "target" in dependency:
                names.add(dependency["target"][0])
            elif "product" in dependency:
                names.add(dependency["product"][0])
        edges[target["name"]] = names
    return edges


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for nxt in edges.get(stack.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def test_the_field_side_does_not_reach_the_mms_stack_beyond_the_known_ties():
    edges = graph()
    found = {(target, forbidden) for target in FIELD_SIDE for forbidden in FORBIDDEN & reachable(edges, target)}
    new = found - KNOWN
    gone = KNOWN - found
    assert not new, f"new layering violations (DESIGN.md §3): {sorted(new)}"
    assert not gone, f"these ties are gone: remove them from KNOWN in {__file__}: {sorted(gone)}"


def test_the_model_depends_on_nothing_of_ours():
    edges = graph()
    assert not reachable(edges, "IEC61850Model") & OURS, sorted(reachable(edges, "IEC61850Model") & OURS)
