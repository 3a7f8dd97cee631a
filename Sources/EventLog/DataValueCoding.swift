import IEC61850Model

/// How a log keeps one basic attribute's value in its column: a tag octet, then the value big-endian
/// (booleans 1 octet; integers, unsigned and float64 8; float32 and bit strings 4; a quality 2; a
/// timestamp 4 + 4 + 1; an entry time 8; octets and strings a 2-octet length and the octets).
enum DataValueCoding {
    private enum Tag: UInt8 {
        case boolean = 1, integer, unsigned, float32, float64, bits, quality, timestamp, entryTime, octets, string
    }

    static func encode(_ value: DataValue, into bytes: inout [UInt8]) {
        switch value {
        case .boolean(let flag): bytes += [Tag.boolean.rawValue, flag ? 1 : 0]
        case .integer(let number): append(.integer, UInt64(bitPattern: number), octets: 8, into: &bytes)
        case .unsigned(let number): append(.unsigned, number, octets: 8, into: &bytes)
        case .float32(let number): append(.float32, UInt64(number.bitPattern), octets: 4, into: &bytes)
        case .float64(let number): append(.float64, number.bitPattern, octets: 8, into: &bytes)
        case .bits(let bits): append(.bits, UInt64(bits), octets: 4, into: &bytes)
        case .quality(let quality): append(.quality, UInt64(quality.rawValue), octets: 2, into: &bytes)
        case .timestamp(let time):
            append(.timestamp, UInt64(time.secondsSinceEpoch) << 32 | UInt64(time.fraction), octets: 8, into: &bytes)
            bytes.append(time.timeQuality)
        case .entryTime(let milliseconds): append(.entryTime, milliseconds, octets: 8, into: &bytes)
        case .octets(let octets): appendCounted(.octets, octets, into: &bytes)
        case .string(let text): appendCounted(.string, Array(text.utf8), into: &bytes)
        }
    }

    /// The value at `index`, moving past it; nil for an unknown tag or too few octets (a damaged column).
    static func decode(_ bytes: [UInt8], at index: inout Int) -> DataValue? {
        guard index < bytes.count, let tag = Tag(rawValue: bytes[index]) else { return nil }
        var position = index + 1
        func number(_ octets: Int) -> UInt64? {
            guard position + octets <= bytes.count else { return nil }
            defer { position += octets }
            return bytes[position..<(position + octets)].reduce(0) { $0 << 8 | UInt64($1) }
        }
        func counted() -> [UInt8]? {
            guard let count = number(2).map(Int.init), position + count <= bytes.count else { return nil }
            defer { position += count }
            return Array(bytes[position..<(position + count)])
        }
        let value: DataValue?
        switch tag {
        case .boolean: value = number(1).map { .boolean($0 != 0) }
        case .integer: value = number(8).map { .integer(Int64(bitPattern: $0)) }
        case .unsigned: value = number(8).map { .unsigned($0) }
        case .float32: value = number(4).map { .float32(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
        case .float64: value = number(8).map { .float64(Double(bitPattern: $0)) }
        case .bits: value = number(4).map { .bits(UInt32(truncatingIfNeeded: $0)) }
        case .quality: value = number(2).map { .quality(Quality(rawValue: UInt16(truncatingIfNeeded: $0))) }
        case .timestamp:
            value = number(8).flatMap { time in
                number(1).map {
                    .timestamp(
                        Timestamp(
                            secondsSinceEpoch: UInt32(truncatingIfNeeded: time >> 32), fraction: UInt32(truncatingIfNeeded: time),
                            timeQuality: UInt8(truncatingIfNeeded: $0)))
                }
            }
        case .entryTime: value = number(8).map { .entryTime(millisecondsSinceEpoch: $0) }
        case .octets: value = counted().map { .octets($0) }
        case .string: value = counted().map { .string(String(decoding: $0, as: UTF8.self)) }
        }
        if value != nil { index = position }
        return value
    }

    private static func append(_ tag: Tag, _ number: UInt64, octets: Int, into bytes: inout [UInt8]) {
        bytes.append(tag.rawValue)
        for shift in stride(from: (octets - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
    }

    /// Octets and strings longer than 65,535 octets are cut there (no attribute type holds more).
    private static func appendCounted(_ tag: Tag, _ octets: [UInt8], into bytes: inout [UInt8]) {
        let kept = octets.prefix(0xFFFF)
        append(tag, UInt64(kept.count), octets: 2, into: &bytes)
        bytes += kept
    }
}
