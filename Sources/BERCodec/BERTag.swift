/// A BER identifier: class, primitive/constructed flag and tag number.
///
/// Tags up to 30 fit in one identifier octet; higher numbers use the long form
/// (`BF 41` is context-specific, constructed, number 65).
public struct BERTag: Hashable, Sendable, CustomStringConvertible {
    /// The two class bits of the identifier octet.
    public enum TagClass: UInt8, Sendable {
        case universal = 0x00
        case application = 0x40
        case contextSpecific = 0x80
        case `private` = 0xC0
    }

    public var tagClass: TagClass
    public var isConstructed: Bool
    public var number: UInt32

    public init(_ tagClass: TagClass, constructed: Bool, number: UInt32) {
        self.tagClass = tagClass
        self.isConstructed = constructed
        self.number = number
    }

    /// The tag written by a single identifier octet such as `0xA1` or `0x1A`.
    public init(octet: UInt8) {
        self.tagClass = TagClass(rawValue: octet & 0xC0)!
        self.isConstructed = octet & 0x20 != 0
        self.number = UInt32(octet & 0x1F)
    }

    /// Context-specific primitive tag `[n]`.
    public static func context(_ number: UInt32) -> BERTag { BERTag(.contextSpecific, constructed: false, number: number) }
    /// Context-specific constructed tag `[n]`.
    public static func contextConstructed(_ number: UInt32) -> BERTag { BERTag(.contextSpecific, constructed: true, number: number) }
    /// Application constructed tag `[APPLICATION n]`.
    public static func applicationConstructed(_ number: UInt32) -> BERTag { BERTag(.application, constructed: true, number: number) }

    public static let boolean = BERTag(octet: 0x01)
    public static let integer = BERTag(octet: 0x02)
    public static let bitString = BERTag(octet: 0x03)
    public static let octetString = BERTag(octet: 0x04)
    public static let null = BERTag(octet: 0x05)
    public static let objectIdentifier = BERTag(octet: 0x06)
    public static let external = BERTag(octet: 0x28)
    public static let sequence = BERTag(octet: 0x30)
    public static let set = BERTag(octet: 0x31)
    public static let graphicString = BERTag(octet: 0x19)
    public static let visibleString = BERTag(octet: 0x1A)

    /// The first identifier octet (the whole identifier for numbers below 31).
    @usableFromInline var leadingOctet: UInt8 {
        tagClass.rawValue | (isConstructed ? 0x20 : 0) | (number < 31 ? UInt8(number) : 0x1F)
    }

    public var description: String {
        var text = String(leadingOctet, radix: 16, uppercase: true)
        if text.count < 2 { text = "0" + text }
        return number < 31 ? text : "\(text) \(number)"
    }
}
