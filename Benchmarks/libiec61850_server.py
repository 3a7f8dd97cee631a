#!/usr/bin/env python3
"""Host a libIEC61850 (C) MMS server with the demo model, as the reference for benchmarks.

The server is libIEC61850 1.6.1 from the PyPI package ``pyiec61850-ng`` (SWIG bindings).
Its model is built with libIEC61850's dynamic model API (IedModel_create, LogicalDevice_create,
LogicalNode_create, DataObject_create, DataAttribute_create, DataSet_create,
ReportControlBlock_create, ...) by instantiating logical nodes of ``mappings/demo/demo.icd``
from the ICD's own DataTypeTemplates, and setting the DAI initial values of the ICD. So the
MMS variables have the same names, structure, order and values as on our server, e.g.
``DEMOGenericIO/GGIO1$MX$AnIn1$mag$f`` = 21.5.

Default selection (the part of the demo model the read benchmarks use):
    GenericIO:   LLN0 (with data set Events, urcbEvents01/02, brcbEvents01/02, SGCB, LCB EventLog),
                 GGIO1 (Mod, Beh, Health, NamPlt, AnIn1, AnIn2, SPCSO1..4, Ind1..4, IntIn1)
    Measurement: LLN0, MMXU1 (Beh, TotW, Hz, PhV, A)
``--all`` instantiates every logical node of the ICD (adds LPHD1 and GGIO2).

Usage:
    python3 Benchmarks/libiec61850_server.py --port N [--bind 127.0.0.1] [--icd|--scl PATH] [--all]
                                             [--stdin-updates] [--report-instances N]

Prints ``READY <pid>`` on stdout once the server listens, then waits for SIGTERM/SIGINT, stops
and destroys the server and exits 0. All MMS work happens on libIEC61850's own server thread:
the Python main thread blocks in sigwait() and holds no lock, and no Python callback is
installed, so the GIL is never taken while the server runs.

``--stdin-updates`` (the value-update protocol of the report interop tests, Tests/Interop): the
main thread reads commands from stdin, one line each, and answers each line on stdout with exactly
``ok`` or ``error <text>`` once the change is applied; ``READY`` then goes to stderr, so stdout
carries nothing but answers. A line is one or more commands separated by `` ; ``, applied as one
atomic batch between IedServer_lockDataModel and IedServer_unlockDataModel (all commands are
checked first; a bad one rejects the whole line and changes nothing):

    set GenericIO/GGIO1.Ind1.stVal bool true
    set GenericIO/GGIO1.Ind1.q quality 2        (bit n of the quality bit string = 1<<n; 2 = invalid)
    set GenericIO/GGIO1.AnIn1.mag.f float 21.5
    set GenericIO/GGIO1.IntIn1.stVal int 7
    set GenericIO/GGIO1.Ind1.t time now         (or seconds since the epoch)
    tick GenericIO/GGIO2.AllTypes.int64Mx 1000 5000

(``uint`` is accepted as ``int``.) ``tick REF RATE COUNT`` (needs ``--all`` for GGIO2) sets an integer
attribute COUNT times, RATE times a second, to CLOCK_MONOTONIC in nanoseconds, and answers when done:
the report latency benchmark (Sources/Bench) reads each report's value to tell how old it is.
References are ``LDinst/LN.DO[.SDO].DA[.BDA]`` without the IED name. End of stdin, SIGTERM or
SIGINT stops the server. The Python main thread only calls libIEC61850 when a line arrives, and
still no Python callback is installed.

``--report-instances N`` creates N instances (``<name>01`` .. ``<name>NN``) of every indexed
ReportControl instead of its ``RptEnabled max`` (the ten-client report test needs urcbEvents01..10).
"""

import argparse
import calendar
import datetime
import os
import select
import signal
import sys
import time
import xml.etree.ElementTree as ET

import pyiec61850.pyiec61850 as L

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ICD = os.path.join(HERE, "..", "mappings", "demo", "demo.icd")

# Logical nodes instantiated by default: ldInst -> names (prefix + lnClass + inst).
DEFAULT_SELECTION = {
    "GenericIO": ["LLN0", "GGIO1"],
    "Measurement": ["LLN0", "MMXU1"],
}

FC = {name: getattr(L, "IEC61850_FC_" + name) for name in
      ("ST", "MX", "SP", "SV", "CF", "DC", "SG", "SE", "SR", "OR", "BL", "EX", "CO")}

BTYPE = {
    "BOOLEAN": L.IEC61850_BOOLEAN,
    "INT8": L.IEC61850_INT8,
    "INT16": L.IEC61850_INT16,
    "INT32": L.IEC61850_INT32,
    "INT64": L.IEC61850_INT64,
    "INT128": L.IEC61850_INT128,
    "INT8U": L.IEC61850_INT8U,
    "INT16U": L.IEC61850_INT16U,
    "INT24U": L.IEC61850_INT24U,
    "INT32U": L.IEC61850_INT32U,
    "FLOAT32": L.IEC61850_FLOAT32,
    "FLOAT64": L.IEC61850_FLOAT64,
    "Enum": L.IEC61850_ENUMERATED,
    "Dbpos": L.IEC61850_CODEDENUM,
    "Tcmd": L.IEC61850_CODEDENUM,
    "Quality": L.IEC61850_QUALITY,
    "Timestamp": L.IEC61850_TIMESTAMP,
    "VisString32": L.IEC61850_VISIBLE_STRING_32,
    "VisString64": L.IEC61850_VISIBLE_STRING_64,
    "VisString65": L.IEC61850_VISIBLE_STRING_65,
    "VisString129": L.IEC61850_VISIBLE_STRING_129,
    "VisString255": L.IEC61850_VISIBLE_STRING_255,
    "ObjRef": L.IEC61850_VISIBLE_STRING_129,
    "Unicode255": L.IEC61850_UNICODE_STRING_255,
    "Octet64": L.IEC61850_OCTET_STRING_64,
    "EntryTime": L.IEC61850_ENTRY_TIME,
    "Check": L.IEC61850_CHECK,
    "Currency": L.IEC61850_CURRENCY,
    "Struct": L.IEC61850_CONSTRUCTED,
}

TRG = (("dchg", L.TRG_OPT_DATA_CHANGED), ("qchg", L.TRG_OPT_QUALITY_CHANGED),
       ("dupd", L.TRG_OPT_DATA_UPDATE))

DBPOS = {"intermediate-state": "00", "off": "01", "on": "10", "bad-state": "11"}
TCMD = {"stop": "00", "lower": "01", "higher": "10", "reserved": "11"}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def children(elem, name):
    return [c for c in elem if local(c.tag) == name]


def child(elem, name):
    for c in elem:
        if local(c.tag) == name:
            return c
    return None


def ms_since_epoch(text):
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def bit_string(bits):
    v = L.MmsValue_newBitString(len(bits))
    for i, ch in enumerate(bits):
        L.MmsValue_setBitStringBit(v, i, ch == "1")
    return v


class ModelBuilder:
    """Instantiates ICD logical nodes in a libIEC61850 dynamic IedModel."""

    def __init__(self, icd_path):
        root = ET.parse(icd_path).getroot()
        self.ied = next(e for e in root.iter() if local(e.tag) == "IED")
        templates = next(e for e in root.iter() if local(e.tag) == "DataTypeTemplates")
        self.lnode_types = {t.get("id"): t for t in children(templates, "LNodeType")}
        self.do_types = {t.get("id"): t for t in children(templates, "DOType")}
        self.da_types = {t.get("id"): t for t in children(templates, "DAType")}
        self.enums = {t.get("id"): {(v.text or ""): int(v.get("ord")) for v in children(t, "EnumVal")}
                      for t in children(templates, "EnumType")}
        # path tuple (ld, ln, do, [sdo...], da, [bda...]) -> (DataAttribute*, bType, enum type)
        self.attributes = {}
        self.model = None
        self.report_instances = None  # None: RptEnabled max of each ReportControl

    # --- types -------------------------------------------------------------------------------

    def _add_da(self, parent_node, path, name, btype, type_id, fc, trg):
        da = L.DataAttribute_create(name, parent_node, BTYPE[btype], fc, trg, 0, 0)
        self.attributes[path] = (da, btype, type_id)
        if btype == "Struct":
            node = L.ModelNode_getChild(parent_node, name)
            for bda in children(self.da_types[type_id], "BDA"):
                self._add_da(node, path + (bda.get("name"),), bda.get("name"), bda.get("bType"),
                             bda.get("type"), fc, trg)

    def _add_do(self, parent_node, path, name, type_id):
        L.DataObject_create(name, parent_node, 0)
        node = L.ModelNode_getChild(parent_node, name)
        for elem in self.do_types[type_id]:
            kind = local(elem.tag)
            if kind == "SDO":
                self._add_do(node, path + (elem.get("name"),), elem.get("name"), elem.get("type"))
            elif kind == "DA":
                trg = 0
                for attr, bit in TRG:
                    if elem.get(attr) == "true":
                        trg |= bit
                self._add_da(node, path + (elem.get("name"),), elem.get("name"), elem.get("bType"),
                             elem.get("type"), FC[elem.get("fc")], trg)

    # --- values ------------------------------------------------------------------------------

    def _value(self, btype, type_id, text):
        t = (text or "").strip()
        if btype == "BOOLEAN":
            return L.MmsValue_newBoolean(t.lower() in ("true", "1"))
        if btype == "INT8":
            return L.MmsValue_newIntegerFromInt8(int(t))
        if btype == "INT16":
            return L.MmsValue_newIntegerFromInt16(int(t))
        if btype == "INT32":
            return L.MmsValue_newIntegerFromInt32(int(t))
        if btype == "INT64":
            return L.MmsValue_newIntegerFromInt64(int(t))
        if btype in ("INT8U", "INT16U", "INT24U", "INT32U"):
            return L.MmsValue_newUnsignedFromUint32(int(t))
        if btype == "FLOAT32":
            return L.MmsValue_newFloat(float(t))
        if btype == "FLOAT64":
            return L.MmsValue_newDouble(float(t))
        if btype == "Enum":
            return L.MmsValue_newIntegerFromInt32(self.enums[type_id][text or ""])
        if btype == "Dbpos":
            return bit_string(DBPOS[t])
        if btype == "Tcmd":
            return bit_string(TCMD[t])
        if btype in ("Quality", "Check"):
            return bit_string(t)
        if btype == "Timestamp":
            return L.MmsValue_newUtcTimeByMsTime(ms_since_epoch(t))
        if btype == "EntryTime":
            v = L.MmsValue_newBinaryTime(False)
            L.MmsValue_setBinaryTime(v, ms_since_epoch(t))
            return v
        if btype == "Octet64":
            data = bytes.fromhex(t)
            v = L.MmsValue_newOctetString(len(data), 64)
            for i, b in enumerate(data):
                L.MmsValue_setOctetStringOctet(v, i, b)
            return v
        if btype == "Unicode255":
            return L.MmsValue_newMmsString(text or "")
        if btype.startswith("VisString") or btype in ("Currency", "ObjRef"):
            return L.MmsValue_newVisibleString(text or "")
        raise ValueError("no initial value support for bType " + btype)

    def _apply_values(self, elem, path):
        for c in elem:
            kind = local(c.tag)
            if kind in ("DOI", "SDI"):
                self._apply_values(c, path + (c.get("name"),))
            elif kind == "DAI":
                val = child(c, "Val")
                entry = self.attributes.get(path + (c.get("name"),))
                if val is None or entry is None:
                    continue
                da, btype, type_id = entry
                v = self._value(btype, type_id, val.text)
                L.DataAttribute_setValue(da, v)  # clones the value
                L.MmsValue_delete(v)

    # --- control blocks ----------------------------------------------------------------------

    def _add_control_blocks(self, ln, ln_elem, ld_name):
        for ds in children(ln_elem, "DataSet"):
            dataset = L.DataSet_create(ds.get("name"), ln)
            for f in children(ds, "FCDA"):
                ref = f.get("prefix", "") + f.get("lnClass") + f.get("lnInst", "")
                ref += "$" + f.get("fc") + "$" + f.get("doName").replace(".", "$")
                if f.get("daName"):
                    ref += "$" + f.get("daName").replace(".", "$")
                if f.get("ldInst") and f.get("ldInst") != ld_name:
                    ref = f.get("ldInst") + "/" + ref
                L.DataSetEntry_create(dataset, ref, -1, None)
        for rc in children(ln_elem, "ReportControl"):
            trg_elem, opt_elem = child(rc, "TrgOps"), child(rc, "OptFields")
            trg = 0
            for attr, bit in (("dchg", L.TRG_OPT_DATA_CHANGED), ("qchg", L.TRG_OPT_QUALITY_CHANGED),
                              ("dupd", L.TRG_OPT_DATA_UPDATE), ("period", L.TRG_OPT_INTEGRITY),
                              ("gi", L.TRG_OPT_GI)):
                if trg_elem is not None and trg_elem.get(attr) == "true":
                    trg |= bit
            opt = 0
            for attr, bit in (("seqNum", L.RPT_OPT_SEQ_NUM), ("timeStamp", L.RPT_OPT_TIME_STAMP),
                              ("reasonCode", L.RPT_OPT_REASON_FOR_INCLUSION),
                              ("dataSet", L.RPT_OPT_DATA_SET), ("dataRef", L.RPT_OPT_DATA_REFERENCE),
                              ("bufOvfl", L.RPT_OPT_BUFFER_OVERFLOW), ("entryID", L.RPT_OPT_ENTRY_ID),
                              ("configRef", L.RPT_OPT_CONF_REV)):
                if opt_elem is not None and opt_elem.get(attr) == "true":
                    opt |= bit
            enabled = child(rc, "RptEnabled")
            count = int(enabled.get("max", "1")) if enabled is not None else 1
            if self.report_instances is not None:
                count = self.report_instances
            indexed = rc.get("indexed", "true") != "false"
            names = ["%s%02d" % (rc.get("name"), i + 1) for i in range(count)] if indexed \
                else [rc.get("name")]
            for name in names:
                L.ReportControlBlock_create(name, ln, rc.get("rptID"), rc.get("buffered") == "true",
                                            rc.get("datSet"), int(rc.get("confRev", "0")), trg, opt,
                                            int(rc.get("bufTime", "0")), int(rc.get("intgPd", "0")))
        for lc in children(ln_elem, "LogControl"):
            trg_elem = child(lc, "TrgOps")
            trg = 0
            for attr, bit in (("dchg", L.TRG_OPT_DATA_CHANGED), ("qchg", L.TRG_OPT_QUALITY_CHANGED),
                              ("dupd", L.TRG_OPT_DATA_UPDATE), ("period", L.TRG_OPT_INTEGRITY),
                              ("gi", L.TRG_OPT_GI)):
                if trg_elem is not None and trg_elem.get(attr) == "true":
                    trg |= bit
            # libIEC61850 prefixes the IED name itself: "GenericIO/LLN0$EventLog" is read
            # back as "DEMOGenericIO/LLN0$EventLog".
            log_ref = ld_name + "/LLN0$" + lc.get("logName")
            L.LogControlBlock_create(lc.get("name"), ln, lc.get("datSet"), log_ref, trg,
                                     int(lc.get("intgPd", "0")), lc.get("logEna") == "true",
                                     lc.get("reasonCode") == "true")
        for lg in children(ln_elem, "Log"):
            L.Log_create(lg.get("name"), ln)
        sc = child(ln_elem, "SettingControl")
        if sc is not None:
            L.SettingGroupControlBlock_create(ln, int(sc.get("actSG", "1")), int(sc.get("numOfSGs", "1")))

    # --- model -------------------------------------------------------------------------------

    def build(self, selection=None):
        """selection: {ldInst: [lnName, ...]} or None for every logical node of the ICD."""
        self.model = L.IedModel_create(self.ied.get("name"))
        for ld_elem in (e for e in self.ied.iter() if local(e.tag) == "LDevice"):
            ld_inst = ld_elem.get("inst")
            if selection is not None and ld_inst not in selection:
                continue
            ld = L.LogicalDevice_create(ld_inst, self.model)
            for ln_elem in ld_elem:
                if local(ln_elem.tag) not in ("LN0", "LN"):
                    continue
                ln_name = ln_elem.get("prefix", "") + ln_elem.get("lnClass") + ln_elem.get("inst", "")
                if selection is not None and ln_name not in selection[ld_inst]:
                    continue
                ln = L.LogicalNode_create(ln_name, ld)
                ln_node = L.toModelNode(ln)
                for do in children(self.lnode_types[ln_elem.get("lnType")], "DO"):
                    self._add_do(ln_node, (ld_inst, ln_name, do.get("name")), do.get("name"), do.get("type"))
                self._apply_values(ln_elem, (ld_inst, ln_name))
                self._add_control_blocks(ln, ln_elem, ld_inst)
        return self.model


# --- stdin value updates (--stdin-updates) ----------------------------------------------------

INT_TYPES = ("INT8", "INT16", "INT32", "INT64", "INT8U", "INT16U", "INT24U", "INT32U", "Enum")


class UpdateError(Exception):
    pass


class StdinUpdates:
    """The value-update protocol of the report interop tests (see the module docstring)."""

    def __init__(self, server, builder):
        self.server = server
        self.attributes = builder.attributes

    def _parse(self, command):
        words = command.split()
        if len(words) != 4 or words[0] != "set":
            raise UpdateError("expected 'set <LDinst/LN.DO.DA> <bool|int|float|quality|time> <value>': %r" % command)
        _, ref, kind, text = words
        ld, sep, rest = ref.partition("/")
        if not sep or not rest:
            raise UpdateError("reference without 'LDinst/': %s" % ref)
        entry = self.attributes.get((ld,) + tuple(rest.split(".")))
        if entry is None:
            raise UpdateError("no such attribute: %s" % ref)
        da, btype, _ = entry
        try:
            if kind == "bool":
                if btype != "BOOLEAN" or text not in ("true", "false"):
                    raise UpdateError("bool needs a BOOLEAN attribute and true/false")
                value = text == "true"
                return lambda: L.IedServer_updateBooleanAttributeValue(self.server, da, value)
            if kind in ("int", "uint"):
                if btype not in INT_TYPES:
                    raise UpdateError("int needs an integer attribute, %s is %s" % (ref, btype))
                value = int(text)
                if btype == "INT64":
                    return lambda: L.IedServer_updateInt64AttributeValue(self.server, da, value)
                if btype.endswith("U"):
                    if value < 0:
                        raise UpdateError("negative value for unsigned %s" % ref)
                    return lambda: L.IedServer_updateUnsignedAttributeValue(self.server, da, value)
                return lambda: L.IedServer_updateInt32AttributeValue(self.server, da, value)
            if kind == "float":
                if btype not in ("FLOAT32", "FLOAT64"):
                    raise UpdateError("float needs a FLOAT32/FLOAT64 attribute, %s is %s" % (ref, btype))
                value = float(text)
                if btype == "FLOAT64":
                    return lambda: self._update_mms(da, L.MmsValue_newDouble(value))
                return lambda: L.IedServer_updateFloatAttributeValue(self.server, da, value)
            if kind == "quality":
                if btype != "Quality":
                    raise UpdateError("quality needs a Quality attribute, %s is %s" % (ref, btype))
                value = int(text)
                if not 0 <= value < (1 << 13):
                    raise UpdateError("quality out of range (13 bits): %s" % text)
                return lambda: L.IedServer_updateQuality(self.server, da, value)
            if kind == "time":
                if btype != "Timestamp":
                    raise UpdateError("time needs a Timestamp attribute, %s is %s" % (ref, btype))
                fixed = None if text == "now" else int(round(float(text) * 1000))
                if fixed is not None and fixed < 0:
                    raise UpdateError("negative time: %s" % text)
                return lambda: L.IedServer_updateUTCTimeAttributeValue(
                    self.server, da, fixed if fixed is not None else int(time.time() * 1000))
        except ValueError:
            raise UpdateError("bad %s value: %s" % (kind, text))
        raise UpdateError("unknown type %r (bool, int, float, quality, time)" % kind)

    def _update_mms(self, da, value):
        L.IedServer_updateAttributeValue(self.server, da, value)  # copies the value
        L.MmsValue_delete(value)

    def tick(self, line):
        """tick REF RATE COUNT: COUNT paced updates (RATE per second) of an integer attribute to
        CLOCK_MONOTONIC in nanoseconds (time.monotonic_ns), for the report latency benchmark."""
        words = line.split()
        try:
            if len(words) != 4:
                raise ValueError
            rate, count = float(words[2]), int(words[3])
            if rate <= 0:
                raise ValueError
        except ValueError:
            return "error expected: tick REFERENCE RATE COUNT"
        ld, _, rest = words[1].partition("/")
        entry = self.attributes.get((ld,) + tuple(rest.split(".")))
        if entry is None or entry[1] not in INT_TYPES:
            return "error no integer attribute %s" % words[1]
        da, btype, _ = entry
        update = L.IedServer_updateInt64AttributeValue if btype == "INT64" else L.IedServer_updateInt32AttributeValue
        period = int(1e9 / rate)
        start = time.monotonic_ns()
        for index in range(count):
            pause = start + index * period - time.monotonic_ns()
            if pause > 0:
                time.sleep(pause / 1e9)
            update(self.server, da, time.monotonic_ns())
        return "ok"

    def handle(self, line):
        """One line: parse every command, then apply them all under one data model lock."""
        if line.startswith("tick "):
            return self.tick(line)
        commands = [c.strip() for c in line.split(";") if c.strip()]
        try:
            updates = [self._parse(c) for c in commands]
        except UpdateError as e:
            return "error " + str(e).replace("\n", " ")
        L.IedServer_lockDataModel(self.server)
        try:
            for update in updates:
                update()
        finally:
            L.IedServer_unlockDataModel(self.server)
        return "ok"

    def run(self, stop_signals):
        """Serve stdin until EOF or a stop signal (blocked in every thread, polled here)."""
        buffer = b""
        while True:
            ready, _, _ = select.select([0], [], [], 0.1)
            if signal.sigtimedwait(stop_signals, 0) is not None:
                return
            if not ready:
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                sys.stdout.write(self.handle(line) + "\n")
                sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description="libIEC61850 reference server with the demo model")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--icd", "--scl", dest="icd", default=DEFAULT_ICD)
    parser.add_argument("--all", action="store_true", help="instantiate every LN of the ICD")
    parser.add_argument("--stdin-updates", action="store_true",
                        help="apply value updates read from stdin (see the module docstring)")
    parser.add_argument("--report-instances", type=int, default=None, metavar="N",
                        help="instances of every indexed ReportControl (default: its RptEnabled max)")
    parser.add_argument("--files", metavar="DIR", help="serve this folder over the file services (its file store)")
    parser.add_argument("--tls-cert", help="serve MMS over TLS only, with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the TLS certificate's key (PEM)")
    parser.add_argument("--tls-ca", help="the CA whose client certificates are accepted (PEM)")
    args = parser.parse_args()

    builder = ModelBuilder(args.icd)
    builder.report_instances = args.report_instances
    model = builder.build(None if args.all else DEFAULT_SELECTION)

    # Block SIGTERM/SIGINT before libIEC61850 creates its thread(s): they inherit the mask, so
    # the signals are only taken by sigwait() in the main thread below.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    # Default server configuration. The MMS max PDU size is a compile-time constant of
    # libIEC61850 (CONFIG_MMS_MAXIMUM_PDU_SIZE, 65000 by default); 1.6.1 has no runtime setter for
    # it. (IedServer_createWithConfig is not usable here: the SWIG wrapper rejects a NULL TLS
    # configuration, and IedServer_create uses the default IedServerConfig anyway.)
    if args.tls_cert:
        tls = L.TLSConfiguration_create()
        L.TLSConfiguration_setOwnCertificateFromFile(tls, args.tls_cert)
        L.TLSConfiguration_setOwnKeyFromFile(tls, args.tls_key, None)
        L.TLSConfiguration_addCACertificateFromFile(tls, args.tls_ca)
        L.TLSConfiguration_setChainValidation(tls, True)
        server = L.IedServer_createWithTlsSupport(model, tls)
    else:
        server = L.IedServer_create(model)
    L.IedServer_setLocalIpAddress(server, args.bind)
    if args.files:
        L.IedServer_setFilestoreBasepath(server, args.files.rstrip("/") + "/")  # joined as text: needs the slash
    L.IedServer_start(server, args.port)
    if not L.IedServer_isRunning(server):
        print("libIEC61850 server failed to listen on %s:%d" % (args.bind, args.port), file=sys.stderr)
        L.IedServer_destroy(server)
        L.IedModel_destroy(model)
        return 1

    if args.stdin_updates:
        sys.stderr.write("READY %d\n" % os.getpid())
        sys.stderr.flush()
        StdinUpdates(server, builder).run(stop_signals)
    else:
        sys.stdout.write("READY %d\n" % os.getpid())
        sys.stdout.flush()
        signal.sigwait(stop_signals)

    L.IedServer_stop(server)
    L.IedServer_destroy(server)
    L.IedModel_destroy(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
