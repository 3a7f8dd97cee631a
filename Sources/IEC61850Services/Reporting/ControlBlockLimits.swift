/// What clients may write into report and log control blocks, beyond the types' own ranges: nothing a
/// client writes may make the server report or log at an unbounded rate, or keep a block reserved for ever.
/// A write outside these bounds is refused with object-value-invalid and changes nothing. Values from the
/// SCL file are not bound by them.
public struct ControlBlockLimits: Sendable, Equatable {
    /// The shortest IntgPd (ms) a client may write, other than 0 (no integrity reports): 100 ms.
    public var minimumIntegrityPeriod: UInt32 = 100
    /// The longest ResvTms (s) a client may write: 3600 s. Negative values (-1, a reservation set by
    /// configuration, never released) are refused: a client cannot reserve a block for ever.
    public var maximumReservationTime: Int16 = 3600

    public init() {}

    /// Whether a client may write this IntgPd.
    func admits(integrityPeriod milliseconds: UInt64) -> Bool {
        milliseconds == 0 || (milliseconds >= UInt64(minimumIntegrityPeriod) && milliseconds <= UInt64(UInt32.max))
    }

    /// Whether a client may write this ResvTms.
    func admits(reservationTime seconds: Int64) -> Bool {
        seconds >= 0 && seconds <= Int64(maximumReservationTime)
    }
}
