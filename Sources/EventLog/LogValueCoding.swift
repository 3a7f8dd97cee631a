import IEC61850Services

/// How an entry's values are kept in one column: for each value, the reference's length (2 octets) and
/// UTF-8, the reason code (1 octet), and the MMS Data's length (4 octets) and octets. One row per entry
/// keeps inserts and trims cheap at thousands of entries a second. Public for the fuzz target that feeds
/// it columns a foreign database could hold.
public enum LogValueCoding {
    /// The column for `values`.
    public static func encode(_ values: [LogEntry.Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(0) { $0 + 7 + $1.reference.utf8.count + $1.data.count })
        for value in values {
            let reference = Array(value.reference.utf8)
            bytes += [UInt8(reference.count >> 8 & 0xFF), UInt8(reference.count & 0xFF)] + reference
            bytes.append(value.reasonCode)
            let count = value.data.count
            bytes += [UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + value.data
        }
        return bytes
    }

    /// The values of a column; a truncated or damaged column yields the values before the damage.
    public static func decode(_ bytes: [UInt8]) -> [LogEntry.Value] {
        var values: [LogEntry.Value] = []
        var index = 0
        while index + 2 <= bytes.count {
            let referenceCount = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            index += 2
            guard index + referenceCount + 5 <= bytes.count else { break }
            let reference = String(decoding: bytes[index..<(index + referenceCount)], as: UTF8.self)
            index += referenceCount
            let reason = bytes[index]
            let count = bytes[(index + 1)..<(index + 5)].reduce(0) { $0 << 8 | Int($1) }
            index += 5
            guard index + count <= bytes.count else { break }
            values.append(LogEntry.Value(reference: reference, data: Array(bytes[index..<(index + count)]), reasonCode: reason))
            index += count
        }
        return values
    }
}
