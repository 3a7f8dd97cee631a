import IEC61850Model

/// What an adapter read for one point: a value, the news that its source failed, or an answer that does
/// not decode.
public struct FieldReading: Sendable, Equatable {
    /// The point's index in the configuration's point list.
    public let point: Int
    /// nil when the source did not answer (timeout, connection lost, an exception from the device) or
    /// answered with something that does not decode (then ``problem`` says what).
    public let value: FieldValue?
    /// When the value was acquired.
    public let time: Timestamp
    /// The source answered, but its answer does not decode (a malformed or oversized payload, a time
    /// that is no time): the point turns invalid with detail inconsistent, and the event log says this.
    public let problem: String?

    public init(point: Int, value: FieldValue?, time: Timestamp) {
        self.point = point
        self.value = value
        self.time = time
        self.problem = nil
    }

    /// A reading whose source answered with something that does not decode.
    public init(point: Int, malformed problem: String, time: Timestamp) {
        self.point = point
        self.value = nil
        self.time = time
        self.problem = problem
    }
}
