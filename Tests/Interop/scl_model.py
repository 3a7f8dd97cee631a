"""Expected model of an SCL file, computed with xml.etree only (independent of any server code).

expected_model(path) -> Model with
    ied                 IED name
    lds                 {ld name: {ln name: {do name: None}}}   (ld name = IED name + inst)
    nodes               set of "LD/LN.DO[.SDO][.DA][.BDA]" references of every DO, SDO, DA, BDA
    da_fcs              {"LD/LN.DO[.SDO].DA": fc} for the top-level DAs (the ones that carry the FC)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NS = {"s": "http://www.iec.ch/61850/2003/SCL"}


@dataclass
class Model:
    ied: str
    lds: dict = field(default_factory=dict)
    nodes: set = field(default_factory=set)
    da_fcs: dict = field(default_factory=dict)


def expected_model(path: str, ied_name: str | None = None) -> Model:
    root = ET.parse(path).getroot()
    dtt = root.find("s:DataTypeTemplates", NS)
    lntypes = {e.get("id"): e for e in dtt.findall("s:LNodeType", NS)}
    dotypes = {e.get("id"): e for e in dtt.findall("s:DOType", NS)}
    datypes = {e.get("id"): e for e in dtt.findall("s:DAType", NS)}

    ied = root.find("s:IED", NS) if ied_name is None else root.find(f"s:IED[@name='{ied_name}']", NS)
    model = Model(ied=ied.get("name"))

    def expand_da_type(ref: str, type_id: str) -> None:
        for bda in datypes[type_id].findall("s:BDA", NS):
            r = f"{ref}.{bda.get('name')}"
            model.nodes.add(r)
            if bda.get("bType") == "Struct":
                expand_da_type(r, bda.get("type"))

    def expand_do_type(ref: str, type_id: str) -> None:
        for child in dotypes[type_id]:
            tag = child.tag.split("}")[1]
            if tag == "SDO":
                r = f"{ref}.{child.get('name')}"
                model.nodes.add(r)
                expand_do_type(r, child.get("type"))
            elif tag == "DA":
                r = f"{ref}.{child.get('name')}"
                model.nodes.add(r)
                model.da_fcs[r] = child.get("fc")
                if child.get("bType") == "Struct":
                    expand_da_type(r, child.get("type"))

    for ap in ied.findall("s:AccessPoint", NS):
        server = ap.find("s:Server", NS)
        if server is None:
            continue
        for ld in server.findall("s:LDevice", NS):
            ld_name = ld.get("ldName") or (model.ied + ld.get("inst"))
            lns = model.lds.setdefault(ld_name, {})
            for ln in [ld.find("s:LN0", NS)] + ld.findall("s:LN", NS):
                if ln is None:
                    continue
                ln_name = (ln.get("prefix") or "") + ln.get("lnClass") + (ln.get("inst") or "")
                dos = lns.setdefault(ln_name, {})
                for do in lntypes[ln.get("lnType")].findall("s:DO", NS):
                    dos[do.get("name")] = None
                    r = f"{ld_name}/{ln_name}.{do.get('name')}"
                    model.nodes.add(r)
                    expand_do_type(r, do.get("type"))
    return model
