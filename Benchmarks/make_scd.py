#!/usr/bin/env python3
"""Writes a large SCD for the SCL load benchmark: the demo IED repeated under many names.

Each copy is the bundled demo IED (two logical devices, data sets, report and log control blocks,
instance values) with its own name and ConnectedAP; the DataTypeTemplates are shared, as in a
real substation file. About 17 KB per IED: 2,900 IEDs make about 50 MB.

    python3 Benchmarks/make_scd.py --ieds 2900 --out /tmp/station.scd
    time .build/release/iec61850-gateway validate --scl /tmp/station.scd --ied IED2900
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ieds", type=int, default=2900, help="how many IEDs (default 2900, about 50 MB)")
    parser.add_argument("--out", required=True, help="the SCD file to write")
    args = parser.parse_args()

    demo = (ROOT / "mappings/demo/demo.icd").read_text(encoding="utf-8")
    head, rest = demo.split("  <Communication>", 1)
    communication, rest = rest.split("  </Communication>", 1)
    ied_start = rest.index("  <IED ")
    ied_end = rest.index("  </IED>") + len("  </IED>\n")
    ied = rest[ied_start:ied_end]
    templates = rest[ied_end:]
    connected = re.search(r"      <ConnectedAP .*?</ConnectedAP>\n", communication, re.S).group(0)

    with open(args.out, "w", encoding="utf-8") as out:
        out.write(head)
        out.write("  <Communication>\n    <SubNetwork name=\"StationBus\" type=\"8-MMS\">\n")
        for number in range(1, args.ieds + 1):
            name = f"IED{number}"
            out.write(connected.replace('iedName="DEMO"', f'iedName="{name}"').replace("127.0.0.1", f"10.{number // 250}.{number % 250}.1"))
        out.write("    </SubNetwork>\n  </Communication>\n")
        for number in range(1, args.ieds + 1):
            name = f"IED{number}"
            out.write(re.sub(r'"DEMO(?=GenericIO|Measurement|")', f'"{name}', ied))
        out.write(templates)
    size = Path(args.out).stat().st_size
    print(f"{args.out}: {args.ieds} IEDs, {size / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
