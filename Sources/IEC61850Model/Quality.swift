/// IEC 61850 quality (13 bits). Bit n of the bit string is `1 << n` in `rawValue`.
public struct Quality: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16 = 0) {
        self.rawValue = rawValue & 0x1FFF
    }

    public enum Validity: UInt16, Sendable {
        case good = 0
        case invalid = 2
        case reserved = 1
        case questionable = 3
    }

    public static let overflow = Quality(rawValue: 1 << 2)
    public static let outOfRange = Quality(rawValue: 1 << 3)
    public static let badReference = Quality(rawValue: 1 << 4)
    public static let oscillatory = Quality(rawValue: 1 << 5)
    public static let failure = Quality(rawValue: 1 << 6)
    public static let oldData = Quality(rawValue: 1 << 7)
    public static let inconsistent = Quality(rawValue: 1 << 8)
    public static let inaccurate = Quality(rawValue: 1 << 9)
    public static let substituted = Quality(rawValue: 1 << 10)
    public static let test = Quality(rawValue: 1 << 11)
    public static let operatorBlocked = Quality(rawValue: 1 << 12)

    public static let good = Quality()
    public static let invalid = Quality(validity: .invalid)

    public init(validity: Validity, detail: Quality = Quality()) {
        self.rawValue = (detail.rawValue & ~0x3) | validity.rawValue
    }

    public var validity: Validity {
        get { Validity(rawValue: rawValue & 0x3)! }
        set { rawValue = (rawValue & ~0x3) | newValue.rawValue }
    }

    public func contains(_ flag: Quality) -> Bool { rawValue & flag.rawValue == flag.rawValue }

    public mutating func insert(_ flag: Quality) { rawValue |= flag.rawValue }

    public var description: String { "quality(\(validity), 0x\(String(rawValue, radix: 16)))" }
}
