import IEC61850Model
import IEC61850Services

/// One configured point as the operations side shows it: where it comes from and what the model serves now.
public struct PointStatus: Sendable, Equatable {
    /// The point's place in the configuration (the order of `points:`).
    public let index: Int
    /// The attribute the value goes to (`GenericIO/MMXU1.TotW.mag.f`).
    public let reference: String
    /// Its data object (`GenericIO/MMXU1.TotW`).
    public let dataObject: String
    /// The value served now (the substituted one while substitution is on).
    public let value: DataValue
    /// The data object's q and t as served, when it has them.
    public let quality: Quality?
    public let time: Timestamp?
    /// `modbus meter1`, `mqtt plant/pv/power`.
    public let source: String
    /// The address within the source (`holding 40001 float32`), or the JSON path of an MQTT payload.
    public let address: String?
    /// When the field value last changed (UTC ms); nil before the first reading.
    public let changedMilliseconds: UInt64?
    /// Whether its data object can be substituted (subEna and a substitute in FC SV).
    public let substitutable: Bool
}
