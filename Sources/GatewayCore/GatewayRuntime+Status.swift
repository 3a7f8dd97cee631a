import IEC61850Model
import IEC61850Services

extension GatewayRuntime {
    /// Every configured point with the value, quality and time the model serves now.
    /// (One look at the store for all of them: a 10,000-point list is read every second by a page.)
    public func status() -> [PointStatus] {
        let changed = points.withLock { $0.map(\.changedMilliseconds) }
        let served = services.values(of: bindings.flatMap { [$0.value, $0.quality, $0.time] })
        return bindings.enumerated().map { index, binding in
            var quality: Quality?
            if case .quality(let value)? = served[3 * index + 1] { quality = value }
            var time: Timestamp?
            if case .timestamp(let value)? = served[3 * index + 2] { time = value }
            return PointStatus(
                index: index, reference: binding.value.reference, dataObject: binding.dataObject, value: served[3 * index] ?? .boolean(false),
                quality: quality, time: time, source: sources[index], address: Self.address(of: binding.point),
                changedMilliseconds: changed[index], substitutable: services.isSubstitutable(binding.dataObject))
        }
    }

    /// How many points have each validity now (a point without q counts as good).
    public func validityCounts() -> [Quality.Validity: Int] {
        var counts: [Quality.Validity: Int] = [:]
        for value in services.values(of: bindings.map(\.quality)) {
            if case .quality(let quality)? = value { counts[quality.validity, default: 0] += 1 } else { counts[.good, default: 0] += 1 }
        }
        return counts
    }

    /// Where in its source a point is read.
    static func address(of point: GatewayConfiguration.Point) -> String? {
        if let modbus = point.modbus {
            var text = "\(modbus.table.rawValue) \(modbus.address) \(modbus.type.rawValue)"
            if let bit = modbus.bit { text += " bit \(bit)" }
            return text
        }
        return point.mqtt?.valuePath
    }
}
