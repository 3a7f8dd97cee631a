import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

extension MMSServiceBackend {
    package func write(_ specification: VariableAccessSpecification, data: [MMSData], invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer)
    {
        guard let targets = targets(of: specification, session: session) else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
            return
        }
        guard targets.count == data.count else {
            MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.invalidArgument), into: &buffer)
            return
        }
        if targets.count == 1, case .variable(let variable)? = targets[0], variable.fc == .co, let (object, service) = controlTarget(variable) {
            writeControl(data[0], service: service, object: object, invokeID: invokeID, session: session, into: &buffer)
            return
        }
        let results = zip(targets, data).map { target, value -> DataAccessError? in
            guard case .variable(let variable)? = target else { return .objectNonExistent }
            return write(value, to: variable, session: session)
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
            MMSResponseEncoder.writeWriteResponse(results: results, into: &$0)
        }
    }

    /// Writes one variable; nil on success.
    package func write(_ data: MMSData, to variable: MMSVariable, session: SessionContext) -> DataAccessError? {
        if variable.fc == .rp || variable.fc == .br || variable.fc == .lg {
            if let kind = accessNeeded(toWrite: variable), !permitted(kind, variable.path, session: session) { return .objectAccessDenied }
            return writeControlBlock(data, to: variable, session: session)
        }
        guard let fc = variable.fc, settings.writableFunctionalConstraints.contains(fc) else { return .objectAccessDenied }
        guard permitted(.writeSetting, variable.path, session: session) else { return .objectAccessDenied }
        var changes: [(variable: MMSVariable, type: BasicType, slot: Int, value: DataValue)] = []
        if let error = collect(data, for: variable, into: &changes) { return error }
        let handlers = services.writeHandlers.withLock { $0 }
        if !handlers.isEmpty {
            for change in changes {
                guard let (handle, handler) = handlers[change.slot] else { continue }
                let access = WriteAccess(attribute: handle, currentValue: store[change.slot], newValue: change.value, connection: session.connection)
                if case .deny(let refusal) = handler(access) { return refusal.dataAccessError }
            }
        }
        for change in reporting.apply(changes.lazy.map { (slot: $0.slot, value: $0.value) }) {
            events.notify(.substitution(change, connection: session.connection, by: nil))
        }
        return nil
    }

    /// A write to a report or log control block attribute: the block decides (PROTOCOL.md §5.1 and §7 write rules).
    private func writeControlBlock(_ data: MMSData, to variable: MMSVariable, session: SessionContext) -> DataAccessError? {
        guard case .leaf(let type, let slot) = variable.content else { return .objectAccessDenied }  // attribute by attribute
        switch MMSValueCodec.decode(data, as: type) {
        case .success(let value):
            return reporting.write(slot: slot, value, client: session.reportClient, associationSets: session.dataSets)?.dataAccessError
        case .failure(let error): return error
        }
    }

    /// Converts written data against the variable's shape, leaf by leaf.
    private func collect(
        _ data: MMSData, for variable: MMSVariable, into changes: inout [(variable: MMSVariable, type: BasicType, slot: Int, value: DataValue)]
    ) -> DataAccessError? {
        switch (variable.content, data) {
        case (.leaf(let type, let slot), _):
            switch MMSValueCodec.decode(data, as: type) {
            case .success(let value): changes.append((variable, type, slot, value))
            case .failure(let error): return error
            }
        case (.structure(let children), .structure(let values)):
            guard children.count == values.count else { return .typeInconsistent }
            for (child, value) in zip(children, values) {
                if let error = collect(value, for: child, into: &changes) { return error }
            }
        case (.array(let elements), .array(let values)):
            guard elements.count == values.count else { return .typeInconsistent }
            for (element, value) in zip(elements, values) {
                if let error = collect(value, for: element, into: &changes) { return error }
            }
        default:
            return .typeInconsistent
        }
        return nil
    }
}
