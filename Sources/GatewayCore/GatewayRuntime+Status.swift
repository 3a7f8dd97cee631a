import IEC61850Model
import IEC61850Services

extension GatewayRuntime {
    /// Every configured point with the value, quality and time the model serves now.
    public func status() -> [PointStatus] {
        let changed = points.withLock { $0.map(\.changedMilliseconds) }
        return bindings.enumerated().map { index, binding in
            var quality: Quality?
            if let handle = binding.quality, case .quality(let served) = services.value(of: handle) { quality = served }
            var time: Timestamp?
            if let handle = binding.time, case .timestamp(let served) = services.value(of: handle) { time = served }
            return PointStatus(
                index: index, reference: binding.value.reference, dataObject: binding.dataObject, value: services.value(of: binding.value),
                quality: quality, time: time, source: Self.source(of: binding.point), address: Self.address(of: binding.point),
                changedMilliseconds: changed[index], substitutable: services.isSubstitutable(binding.dataObject))
        }
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
