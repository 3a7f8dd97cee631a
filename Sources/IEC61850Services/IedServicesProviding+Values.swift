import IEC61850Model

extension IedServicesProviding {
    /// The handle of a basic attribute, by reference (`GenericIO/GGIO1.AnIn1.mag.f`).
    public func handle(for reference: String) throws(ServerError) -> AttributeHandle {
        guard let handle = services.model.handle(for: reference) else {
            if services.model.attribute(at: reference) != nil || services.model.dataObject(at: reference) != nil {
                throw .notABasicAttribute(reference)
            }
            throw .unknownReference(reference)
        }
        return handle
    }

    /// The current value of a basic attribute.
    public func value(of handle: AttributeHandle) -> DataValue {
        services.store[handle.slot]
    }

    /// The current values of several basic attributes, read together (one look at the store).
    public func values(of handles: [AttributeHandle?]) -> [DataValue?] {
        services.store.withValues { values in handles.map { $0.map { values[$0.slot] } } }
    }

    /// Sets a basic attribute's value.
    public func update(_ handle: AttributeHandle, to value: DataValue) throws(ServerError) {
        guard value.conforms(to: handle.type) else { throw .typeMismatch(reference: handle.reference, expected: "\(handle.type)") }
        for change in services.reporting.apply(CollectionOfOne((slot: handle.slot, value: value))) {
            services.events.notify(.substitution(change, connection: nil, by: nil))
        }
    }

    /// Sets a basic attribute's value, by reference.
    public func update(_ reference: String, to value: DataValue) throws(ServerError) {
        try update(handle(for: reference), to: value)
    }

    /// Sets several values at once: clients never see some of them changed and others not.
    ///
    /// ```swift
    /// try server.batch { batch in
    ///     try batch.set(magnitude, .float32(230.1))
    ///     try batch.set(quality, .quality(.good))
    ///     try batch.set(time, .timestamp(.now()))
    /// }
    /// ```
    public func batch(_ body: (inout ValueBatch) throws -> Void) throws {
        var batch = ValueBatch()
        try body(&batch)
        for change in services.reporting.apply(batch.changes.lazy.map { (slot: $0.0, value: $0.1) }) {
            services.events.notify(.substitution(change, connection: nil, by: nil))
        }
    }

    /// Installs a handler that decides on client writes to a basic attribute (nil removes it).
    ///
    /// The handler runs on the association's event loop before the value changes; keep it short.
    public func setWriteAccessHandler(for handle: AttributeHandle, _ handler: WriteAccessHandler?) {
        services.writeHandlers.withLock { $0[handle.slot] = handler.map { (handle, $0) } }
    }

    /// Installs a handler for every basic attribute below a reference (a DA, a DO or an LN).
    public func setWriteAccessHandler(below reference: String, _ handler: WriteAccessHandler?) throws(ServerError) {
        var handles: [AttributeHandle] = []
        if let attribute = services.model.attribute(at: reference) {
            Self.collectHandles(attribute, reference: reference, into: &handles)
        } else if let object = services.model.dataObject(at: reference) {
            Self.collectHandles(object, reference: reference, into: &handles)
        } else {
            throw .unknownReference(reference)
        }
        services.writeHandlers.withLock { handlers in
            for handle in handles { handlers[handle.slot] = handler.map { (handle, $0) } }
        }
    }

    private static func collectHandles(_ object: DataObject, reference: String, into handles: inout [AttributeHandle]) {
        for child in object.children {
            switch child {
            case .object(let sub): collectHandles(sub, reference: "\(reference).\(sub.name)", into: &handles)
            case .attribute(let attribute): collectHandles(attribute, reference: "\(reference).\(attribute.name)", into: &handles)
            }
        }
    }

    private static func collectHandles(_ attribute: DataAttribute, reference: String, into handles: inout [AttributeHandle]) {
        switch attribute.content {
        case .basic(let type, let slot): handles.append(AttributeHandle(slot: slot, type: type, fc: attribute.fc, reference: reference))
        case .constructed(let components):
            for component in components { collectHandles(component, reference: "\(reference).\(component.name)", into: &handles) }
        case .array(let elements):
            for (index, element) in elements.enumerated() { collectHandles(element, reference: "\(reference)(\(index))", into: &handles) }
        }
    }

    // Typed conveniences, as the tutorial's IedServer_updateFloatAttributeValue and friends.

    public func update(_ handle: AttributeHandle, float value: Float) throws(ServerError) { try update(handle, to: .float32(value)) }
    public func update(_ handle: AttributeHandle, bool value: Bool) throws(ServerError) { try update(handle, to: .boolean(value)) }
    public func update(_ handle: AttributeHandle, int value: Int64) throws(ServerError) { try update(handle, to: .integer(value)) }
    public func update(_ handle: AttributeHandle, quality value: Quality) throws(ServerError) { try update(handle, to: .quality(value)) }
    public func update(_ handle: AttributeHandle, timestamp value: Timestamp) throws(ServerError) { try update(handle, to: .timestamp(value)) }
}

/// Values collected for one atomic ``IedServicesProviding/batch(_:)``.
public struct ValueBatch: Sendable {
    fileprivate var changes: [(Int, DataValue)] = []

    /// Adds a change; the value must fit the attribute's type.
    public mutating func set(_ handle: AttributeHandle, _ value: DataValue) throws(ServerError) {
        guard value.conforms(to: handle.type) else { throw .typeMismatch(reference: handle.reference, expected: "\(handle.type)") }
        changes.append((handle.slot, value))
    }
}
