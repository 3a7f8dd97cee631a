/// An IEC 61850-7-2 functional constraint: what a data attribute is for, and so who may read or write it.
public enum FunctionalConstraint: String, Sendable, CaseIterable, Hashable, Comparable {
    case st = "ST", mx = "MX", sp = "SP", sv = "SV", cf = "CF", dc = "DC", sg = "SG", se = "SE", sr = "SR"
    case or = "OR", bl = "BL", ex = "EX", co = "CO", rp = "RP", br = "BR", lg = "LG", go = "GO", gs = "GS"
    case ms = "MS", us = "US"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
