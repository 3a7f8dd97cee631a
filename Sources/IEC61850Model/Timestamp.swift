/// An IEC 61850 UtcTime: seconds since 1970, a 24-bit binary fraction of a second, and time quality.
public struct Timestamp: Sendable, Hashable, CustomStringConvertible {
    public var secondsSinceEpoch: UInt32
    /// Fraction of a second in units of 2^-24 s.
    public var fraction: UInt32
    /// TimeQuality octet: 0x80 leap seconds known, 0x40 clock failure, 0x20 not synchronized, low 5 bits accuracy.
    public var timeQuality: UInt8

    public init(secondsSinceEpoch: UInt32 = 0, fraction: UInt32 = 0, timeQuality: UInt8 = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.fraction = fraction & 0xFF_FFFF
        self.timeQuality = timeQuality
    }

    /// A timestamp from milliseconds since the epoch, with 10 bits of accuracy (about 1 ms).
    public init(millisecondsSinceEpoch ms: UInt64, timeQuality: UInt8 = 10) {
        self.secondsSinceEpoch = UInt32(truncatingIfNeeded: ms / 1000)
        self.fraction = UInt32(((ms % 1000) << 24) / 1000)
        self.timeQuality = timeQuality
    }

    /// The current time.
    public static func now(timeQuality: UInt8 = 10) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: currentMilliseconds(), timeQuality: timeQuality)
    }

    public var millisecondsSinceEpoch: UInt64 {
        UInt64(secondsSinceEpoch) * 1000 + (UInt64(fraction) * 1000 + (1 << 23)) >> 24
    }

    /// The 8 octets of the UtcTime encoding.
    public var octets: [UInt8] {
        [
            UInt8(truncatingIfNeeded: secondsSinceEpoch >> 24), UInt8(truncatingIfNeeded: secondsSinceEpoch >> 16),
            UInt8(truncatingIfNeeded: secondsSinceEpoch >> 8), UInt8(truncatingIfNeeded: secondsSinceEpoch),
            UInt8(truncatingIfNeeded: fraction >> 16), UInt8(truncatingIfNeeded: fraction >> 8), UInt8(truncatingIfNeeded: fraction),
            timeQuality,
        ]
    }

    /// A timestamp from the 8 octets of the UtcTime encoding.
    public init?(octets: [UInt8]) {
        guard octets.count == 8 else { return nil }
        secondsSinceEpoch = octets[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
        fraction = octets[4..<7].reduce(0) { $0 << 8 | UInt32($1) }
        timeQuality = octets[7]
    }

    public var description: String { "t(\(millisecondsSinceEpoch) ms, q=0x\(String(timeQuality, radix: 16)))" }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock milliseconds since 1970-01-01 UTC.
public func currentMilliseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
}
