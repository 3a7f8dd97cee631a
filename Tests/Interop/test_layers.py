"""The layering of DESIGN.md §3, checked on the target graph that `swift package dump-package` prints.

- The field side (GatewayCore, the adapters, EventLog, the Modbus simulator) and the IEC 61850 services
  reach neither the MMS stack (MMS, BERCodec, IEC61850Server, the OSI layers) nor NIOPosix.
- The services reach no NIO at all: time comes in, timers go out through a scheduler.
- The MMS mapping reaches MMS, the services and the model, but no sockets, OSI layers or server.
- The model depends on nothing of ours.
- Only the adapters and the event log import a C library module (and the server its one TLS setting).
A later change cannot quietly undo any of it: these tests fail on the first new tie.
"""

from __future__ import annotations

import json
import os
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIELD_SIDE = ["GatewayCore", "ModbusAdapter", "MQTTAdapter", "EventLog", "ModbusSimulatorTool", "IEC61850Services"]
MMS_STACK = {"MMS", "BERCodec", "MMSMapping", "IEC61850Server", "ISOTransport", "OSIUpperLayers", "NIOPosix"}
NIO = {"NIOCore", "NIOPosix", "NIOEmbedded", "NIOSSL"}
OURS = {"BERCodec", "ISOTransport", "OSIUpperLayers", "MMS", "MMSMapping", "IEC61850Services", "IEC61850Server", "GatewayCore", "EventLog",
        "ModbusAdapter", "MQTTAdapter", "CModbus", "CMosquitto", "CSQLite", "TestSupport", "CSessionTickets"}
C_MODULES = {"CModbus": {"ModbusAdapter"}, "CMosquitto": {"MQTTAdapter"}, "CSQLite": {"EventLog"},
             "CSessionTickets": {"IEC61850Server"}}


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


def test_the_field_side_and_the_services_do_not_reach_the_mms_stack():
    edges = graph()
    for target in FIELD_SIDE:
        assert target in edges, f"{target} is gone from Package.swift: update this test"
    found = sorted((target, forbidden) for target in FIELD_SIDE for forbidden in MMS_STACK & reachable(edges, target))
    assert not found, f"layering violations (DESIGN.md §3): {found}"


def test_the_services_use_no_nio():
    edges = graph()
    assert not reachable(edges, "IEC61850Services") & NIO, sorted(reachable(edges, "IEC61850Services") & NIO)


def test_the_services_depend_on_the_model_only_of_ours():
    edges = graph()
    assert reachable(edges, "IEC61850Services") & OURS == set(), sorted(reachable(edges, "IEC61850Services") & OURS)


def test_the_mms_mapping_reaches_no_sockets_no_osi_layers_and_no_server():
    edges = graph()
    found = reachable(edges, "MMSMapping") & {"IEC61850Server", "ISOTransport", "OSIUpperLayers", "NIOPosix", "NIOSSL", "NIOEmbedded"}
    assert not found, sorted(found)
    assert {"MMS", "IEC61850Services"} <= reachable(edges, "MMSMapping")


def test_the_model_depends_on_nothing_of_ours():
    edges = graph()
    assert not reachable(edges, "IEC61850Model") & OURS, sorted(reachable(edges, "IEC61850Model") & OURS)


def test_only_the_edge_targets_import_c_modules():
    edges = graph()
    # Test targets may use what they test; libraries and executables are held to the rule.
    offenders = sorted((target, module) for target, deps in edges.items() if not target.endswith("Tests")
                       for module in C_MODULES.keys() & deps if target not in C_MODULES[module])
    assert not offenders, f"C modules imported outside the edge (DESIGN.md §3 rule 5): {offenders}"
