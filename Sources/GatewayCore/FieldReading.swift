import IEC61850Model

/// What an adapter read for one point: a value, or the news that its source failed.
public struct FieldReading: Sendable, Equatable {
    /// The point's index in the configuration's point list.
    public let point: Int
    /// nil when the source did not answer (timeout, connection lost, an exception from the device).
    public let value: FieldValue?
    /// When the value was acquired.
    public let time: Timestamp

    public init(point: Int, value: FieldValue?, time: Timestamp) {
        self.point = point
        self.value = value
        self.time = time
    }
}
