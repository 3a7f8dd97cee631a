import IEC61850Model

/// A point checked against the model: the attributes it writes and whether its object takes controls.
public struct PointBinding: Sendable {
    public let point: GatewayConfiguration.Point
    /// The attribute the value goes to (stVal, mag.f, … or the one the point names).
    public let value: AttributeHandle
    /// The data object (`GenericIO/GGIO1.SPCSO1`).
    public let dataObject: String
    // The data object's q and t by slot (-1: none); their handles are made when asked for. A plant has
    // 100,000 bindings, and two stored handles were 14 of their 38 MB.
    private let qualitySlot: Int32
    private let timeSlot: Int32
    private let qualityFC: FunctionalConstraint
    private let timeFC: FunctionalConstraint

    /// The data object's q, maintained by the gateway (nil when it has none of type Quality).
    public var quality: AttributeHandle? {
        qualitySlot < 0 ? nil : AttributeHandle(slot: Int(qualitySlot), type: .quality, fc: qualityFC, objectReference: dataObject, path: "q")
    }

    /// The data object's t, maintained by the gateway (nil when it has none of type Timestamp).
    public var time: AttributeHandle? {
        timeSlot < 0 ? nil : AttributeHandle(slot: Int(timeSlot), type: .timestamp, fc: timeFC, objectReference: dataObject, path: "t")
    }

    init(point: GatewayConfiguration.Point, value: AttributeHandle, quality: AttributeHandle?, time: AttributeHandle?, dataObject: String) {
        self.point = point
        self.value = value
        self.dataObject = dataObject
        let quality = quality.flatMap { $0.type == .quality ? $0 : nil }
        let time = time.flatMap { $0.type == .timestamp ? $0 : nil }
        qualitySlot = quality.flatMap { Int32(exactly: $0.slot) } ?? -1
        timeSlot = time.flatMap { Int32(exactly: $0.slot) } ?? -1
        qualityFC = quality?.fc ?? .st
        timeFC = time?.fc ?? .st
    }
}

/// Checks a configuration against the model it serves; every problem names the file, line and point.
public enum ConfigurationValidator {
    /// The main value attributes of the common data classes, in the order they are looked for.
    static let valueAttributes = ["stVal", "mag.f", "mag.i", "mxVal.f", "mxVal.i", "setMag.f", "setVal", "instMag.f", "valWTr.posVal"]

    public static func bind(_ configuration: GatewayConfiguration, to model: IedModel) throws(ConfigurationErrors) -> [PointBinding] {
        var errors: [ConfigurationError] = []
        var bindings: [PointBinding] = []
        bindings.reserveCapacity(configuration.points.count)  // exactly: a plant has tens of thousands
        var devices: [String: GatewayConfiguration.ModbusDevice] = [:]
        for device in configuration.modbusDevices {
            if let earlier = devices[device.name] {
                errors.append(
                    ConfigurationError(
                        file: device.location.file, line: device.location.line, subject: "device \(device.name)",
                        "a device of this name is already defined at line \(earlier.location.line)"))
            }
            devices[device.name] = device
        }
        // The units of one serial port share one line: its settings must agree and each unit answers to
        // its own address.
        var ports: [String: [GatewayConfiguration.ModbusDevice]] = [:]
        for device in configuration.modbusDevices {
            guard let path = device.serialPort else { continue }
            func refuse(_ message: String) {
                errors.append(ConfigurationError(file: device.location.file, line: device.location.line, subject: "device \(device.name)", message))
            }
            if let earlier = ports[path]?.first, earlier.transport != device.transport {
                refuse(
                    "serial port \(path) is also used by device \(earlier.name) (line \(earlier.location.line)) with other settings; the units of one line share baud, parity, data and stop bits and RS-485 mode"
                )
            }
            for earlier in ports[path] ?? [] {
                if earlier.unit == device.unit {
                    refuse(
                        "unit \(device.unit) on serial port \(path) is also device \(earlier.name) (line \(earlier.location.line)); give each unit of a line its own address"
                    )
                }
            }
            ports[path, default: []].append(device)
        }
        // The line of the point that claimed each slot and each Modbus address (not the point: a copy of
        // each of 100,000 points in two dictionaries was the largest allocation of a plant's start-up).
        var targets: [Int: Int] = [:]
        var sources: [String: Int] = [:]
        for point in configuration.points {
            func fail(_ message: String) {
                errors.append(ConfigurationError(file: point.location.file, line: point.location.line, subject: "point \(point.reference)", message))
            }
            guard let binding = resolve(point, in: model, fail: fail) else { continue }
            if let earlier = targets[binding.value.slot] {
                fail("\(binding.value.reference) is already written by the point at line \(earlier)")
            }
            targets[binding.value.slot] = point.location.line
            if point.mqtt != nil && configuration.mqtt == nil { fail("source: an mqtt topic needs an mqtt: {url: …} section") }
            if point.control?.mqtt != nil && configuration.mqtt == nil { fail("control route: an mqtt topic needs an mqtt: {url: …} section") }
            if let source = point.modbus {
                check(source, of: point, devices: devices, target: binding.value.type, writing: false, fail: fail)
                let key = "\(source.device)/\(source.table.rawValue)/\(source.address)/\(source.bit.map(String.init) ?? "-")"
                if let earlier = sources[key] {
                    fail(
                        "reads the same Modbus address as the point at line \(earlier) (\(source.device) \(source.table.rawValue) \(source.address))"
                    )
                }
                sources[key] = point.location.line
            }
            if let control = point.control {
                if model.attribute(at: "\(binding.dataObject).Oper") == nil && model.handle(for: "\(binding.dataObject).Oper.ctlVal") == nil {
                    fail("has a control route, but \(binding.dataObject) takes no controls (no Oper)")
                }
                if let route = control.modbus { check(route, of: point, devices: devices, target: nil, writing: true, fail: fail) }
            }
            bindings.append(binding)
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors: errors) }
        return bindings
    }

    private static func resolve(_ point: GatewayConfiguration.Point, in model: IedModel, fail: (String) -> Void) -> PointBinding? {
        let reference = point.reference
        // The model is walked once for the attribute and once for its data object; q and t are found below
        // the object (100,000 points: four walks each were a fifth of the start-up).
        if let handle = model.handle(for: reference) {
            // An attribute: q and t are its data object's.
            guard let (object, ownerReference) = model.owningDataObject(of: reference) else { return nil }
            let owner = String(ownerReference)  // one string, shared by q, t and the binding
            return PointBinding(
                point: point, value: handle, quality: model.handle(below: object, path: "q", objectReference: owner),
                time: model.handle(below: object, path: "t", objectReference: owner), dataObject: owner)
        }
        guard let object = model.dataObject(at: reference) else {
            if model.attribute(at: reference) != nil {
                fail("\(reference) is a constructed attribute; name one of its basic attributes")
            } else {
                let slash = reference.firstIndex(of: "/")
                let parent = slash.map { String(reference[..<$0]) } ?? reference
                fail(
                    model.logicalDevice(named: parent[...]) == nil && model.logicalDevices.allSatisfy({ $0.inst != parent })
                        ? "no logical device '\(parent)' in the model" : "no data object or attribute '\(reference)' in the model")
            }
            return nil
        }
        guard let value = valueAttributes.lazy.compactMap({ model.handle(below: object, path: $0, objectReference: reference) }).first else {
            fail("\(reference) has none of \(valueAttributes.joined(separator: ", ")); name the attribute to write")
            return nil
        }
        return PointBinding(
            point: point, value: value, quality: model.handle(below: object, path: "q", objectReference: reference),
            time: model.handle(below: object, path: "t", objectReference: reference), dataObject: reference)
    }

    private static func check(
        _ address: GatewayConfiguration.ModbusAddress, of point: GatewayConfiguration.Point, devices: [String: GatewayConfiguration.ModbusDevice],
        target: BasicType?, writing: Bool, fail: (String) -> Void
    ) {
        let role = writing ? "control route" : "source"
        guard let device = devices[address.device] else {
            fail("\(role): no Modbus device named '\(address.device)' (defined: \(devices.keys.sorted().joined(separator: ", ")))")
            return
        }
        if writing && !address.table.isWritable { fail("\(role): table \(address.table.rawValue) cannot be written; use coil or holding") }
        if address.table.isBits && address.type != .bool { fail("\(role): table \(address.table.rawValue) holds bits; type must be bool") }
        if address.bit != nil && (address.table.isBits || ![.bool, .uint16, .int16].contains(address.type)) {
            fail("\(role): bit needs a holding or input register read as bool, uint16 or int16")
        }
        if let function = address.writeFunction {
            let allowed = address.table == .coil ? [5, 15] : address.table == .holding ? [6, 16] : []
            if !writing {
                fail("\(role): function names a write function code; it belongs to a control route")
            } else if !allowed.contains(function) {
                fail("\(role): function \(function) cannot write table \(address.table.rawValue); use \(allowed.map(String.init).joined(separator: " or "))")
            } else if function == 6 && address.type.registerCount(stringLength: address.length) != 1 {
                fail(
                    "\(role): function 6 writes one register, but \(address.type.rawValue) takes \(address.type.registerCount(stringLength: address.length)); use 16"
                )
            }
        }
        if address.type == .string && address.length == 0 { fail("\(role): a string needs length (characters)") }
        let first = address.address - device.addressing
        let count = address.table.isBits ? 1 : address.type.registerCount(stringLength: address.length)
        if first < 0 || first + count > 65536 {
            fail("\(role): address \(address.address) is outside the device's \(device.addressing)-based range")
        }
        if let target, address.type == .string, !Self.isText(target) { fail("\(role): a string cannot become \(target)") }
    }

    private static func isText(_ type: BasicType) -> Bool {
        switch type {
        case .visibleString, .unicodeString, .objectReference, .currency: true
        default: false
        }
    }
}
