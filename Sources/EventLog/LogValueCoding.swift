import IEC61850Model
import IEC61850Services

/// How an entry's values are kept in one column: for each value, the reference's length (2 octets) and
/// UTF-8, the reason code (1 octet), the number of basic attribute values (2 octets) and each in
/// ``DataValueCoding``. One row per entry keeps inserts and trims cheap at thousands of entries a
/// second. Public for the fuzz target that feeds it columns a foreign database could hold.
public enum LogValueCoding {
    /// The column for `values`.
    public static func encode(_ values: [LogEntry.Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(0) { $0 + 5 + $1.reference.utf8.count + 9 * $1.values.count })
        for value in values {
            appendReference(value.reference, into: &bytes)
            bytes.append(value.reasonCode)
            let count = min(value.values.count, 0xFFFF)
            bytes += [UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            for leaf in value.values.prefix(count) { DataValueCoding.encode(leaf, into: &bytes) }
        }
        return bytes
    }

    /// The values of a column; a truncated or damaged column yields the values before the damage.
    public static func decode(_ bytes: [UInt8]) -> [LogEntry.Value] {
        var values: [LogEntry.Value] = []
        var index = 0
        while let reference = readReference(bytes, at: &index), index + 3 <= bytes.count {
            let reason = bytes[index]
            let count = Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            index += 3
            var leaves: [DataValue] = []
            leaves.reserveCapacity(min(count, bytes.count - index))
            for _ in 0..<count {
                guard let leaf = DataValueCoding.decode(bytes, at: &index) else { return values }
                leaves.append(leaf)
            }
            values.append(LogEntry.Value(reference: reference, values: leaves, reasonCode: reason))
        }
        return values
    }

    /// The values of a column written in schema 3 (the MMS name and the MMS Data's length in 4 octets and
    /// octets, after the reference and the reason code); damage ends the list as in ``decode(_:)``.
    public static func decodeLegacy(_ bytes: [UInt8]) -> [LegacyLogValue] {
        var values: [LegacyLogValue] = []
        var index = 0
        while let reference = readReference(bytes, at: &index), index + 5 <= bytes.count {
            let reason = bytes[index]
            let count = bytes[(index + 1)..<(index + 5)].reduce(0) { $0 << 8 | Int($1) }
            index += 5
            guard index + count <= bytes.count else { break }
            values.append(LegacyLogValue(mmsReference: reference, mmsData: Array(bytes[index..<(index + count)]), reasonCode: reason))
            index += count
        }
        return values
    }

    private static func appendReference(_ reference: String, into bytes: inout [UInt8]) {
        let octets = Array(reference.utf8.prefix(0xFFFF))
        bytes += [UInt8(octets.count >> 8 & 0xFF), UInt8(octets.count & 0xFF)] + octets
    }

    private static func readReference(_ bytes: [UInt8], at index: inout Int) -> String? {
        guard index + 2 <= bytes.count else { return nil }
        let count = Int(bytes[index]) << 8 | Int(bytes[index + 1])
        guard index + 2 + count <= bytes.count else { return nil }
        defer { index += 2 + count }
        return String(decoding: bytes[(index + 2)..<(index + 2 + count)], as: UTF8.self)
    }
}
