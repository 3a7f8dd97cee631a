"""Initial values of DEMOGenericIO/GGIO2 in mappings/demo/demo.icd (keep in step with the comment there).

Each entry: (DA name under GGIO2.AllTypes, FC, kind, expected value)
kinds: bool, int, float, str, bits (bit 0 first, '0'/'1'), octets (bytes),
       utc_ms (UtcTime in ms since the epoch), bintime_ms (EntryTime in ms since the epoch)
"""

LD = "DEMOGenericIO"
ALLTYPES = f"{LD}/GGIO2.AllTypes"

GGIO2_VALUES = [
    ("boolSt", "ST", "bool", True),
    ("int8St", "ST", "int", -100),
    ("int16St", "ST", "int", -30000),
    ("dbposSt", "ST", "bits", "10"),  # Dbpos on
    ("enumSt", "ST", "int", 2),  # DemoKind beta
    ("q", "ST", "bits", "1100000100010"),  # questionable, oldData, test
    ("t", "ST", "utc_ms", 1715934600500),  # 2024-05-17T08:30:00.500Z
    ("f32Mx", "MX", "float", -3.25),
    ("f64Mx", "MX", "float", 2.718281828459045),
    ("int64Mx", "MX", "int", -9000000000000000000),
    ("int24uMx", "MX", "int", 16000000),
    ("setVal", "SP", "int", -123456),
    ("boolSp", "SP", "bool", True),
    ("int32uSp", "SP", "int", 4000000000),
    ("vs64Sp", "SP", "str", "initial setting"),
    ("tcmdSp", "SP", "bits", "10"),  # Tcmd higher
    ("int8uSv", "SV", "int", 200),
    ("int16uSv", "SV", "int", 60000),
    ("minVal", "CF", "int", -1000000),
    ("maxVal", "CF", "int", 1000000),
    ("chkCf", "CF", "bits", "10"),  # Check: synchrocheck
    ("entTmCf", "CF", "bintime_ms", 1715934600250),  # 2024-05-17T08:30:00.250Z
    ("octCf", "CF", "octets", bytes.fromhex("0102A0FF")),
    ("d", "DC", "str", "GGIO2 holds one attribute of every basic type"),
    ("dU", "DC", "str", "Grüße Ωmega ±5 °C"),
    ("vs32Dc", "DC", "str", "vs32-value"),
    ("vs65Dc", "DC", "str", "vs65-value"),
    ("vs129Dc", "DC", "str", "DEMOGenericIO/GGIO2.AllTypes"),
    ("cdcNs", "EX", "str", "IEC 61850-7-3:2007B"),
    ("cdcName", "EX", "str", "ING"),
    ("dataNs", "EX", "str", "DEMO:2024A"),
    ("curEx", "EX", "str", "EUR"),
]

SETMAG = (f"{LD}/GGIO2.SetAn1.setMag.f", "SP", "float", 12.5)

# writable SP attributes: (reference, FC, write kind, new value)
SP_WRITES = [
    (f"{ALLTYPES}.setVal", "SP", "int32", 98765),
    (f"{LD}/GGIO2.SetAn1.setMag.f", "SP", "float32", -7.75),
    (f"{ALLTYPES}.boolSp", "SP", "bool", False),
    (f"{ALLTYPES}.vs64Sp", "SP", "visstr", "written by test"),
]

# writes that a server must refuse with object-access-denied
DENIED_WRITES = [
    (f"{LD}/GGIO1.Ind1.stVal", "ST", "bool", True),
    (f"{LD}/GGIO1.AnIn1.mag.f", "MX", "float32", 1.5),
]
