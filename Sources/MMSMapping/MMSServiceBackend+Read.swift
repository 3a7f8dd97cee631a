import BERCodec
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

extension MMSServiceBackend {
    /// What an alternate access selects: one variable, or a range of array elements.
    package enum AccessTarget {
        case variable(MMSVariable)
        case elements([MMSVariable])
    }

    /// What a read or write names: each listed variable (nil where none resolves), or a data set's
    /// members; nil when the named data set does not exist.
    func targets(of specification: VariableAccessSpecification, session: SessionContext) -> [AccessTarget?]? {
        switch specification {
        case .listOfVariable(let variables):
            variables.map { variable in resolve(variable.name).flatMap { select($0, variable.alternateAccess) } }
        case .variableListName(let name):
            dataSetEntry(name, session: session)?.members.map { AccessTarget.variable($0.variable) }
        }
    }

    /// Answers a read. Encoding stops once the response passes `limit` octets (the negotiated PDU size): the
    /// caller then answers pdu-size, and a request naming one LN thousands of times costs no more than that.
    package func read(_ specification: VariableAccessSpecification, withResult: Bool, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer)
    {
        let limit = session.maximumPDUSize
        guard let targets = targets(of: specification, session: session) else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
            return
        }
        // Reading SBO selects (model 2); that happens before the values are locked for encoding.
        var selected: [MMSVariable: String] = [:]
        var boundsRefreshed = false
        for case .variable(let variable)? in targets {
            if variable.fc == .co {
                if let reference = selectByRead(variable, session: session) { selected[variable] = reference }
            } else if !boundsRefreshed && (variable.fc == .lg || variable.fc == nil) {
                reporting.refreshLogBounds()  // a log block's OldEntr moves as the storage trims
                boundsRefreshed = true
            }
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { body in
            body.writeBERElement(.contextConstructed(4)) { response in
                if withResult {
                    response.writeBERElement(.contextConstructed(0)) { specification.encode(into: &$0) }
                }
                response.writeBERElement(.contextConstructed(1)) { results in
                    let start = results.writerIndex
                    store.withValues { values in
                        for target in targets where results.writerIndex - start <= limit {
                            switch target {
                            case .variable(let variable)? where variable.fc == .co && variable.name == "SBO":
                                results.writeBERString(.context(10), selected[variable] ?? "")
                            case .variable(let variable)?: encode(variable, values: values, into: &results)
                            case .elements(let elements)?:
                                results.writeBERElement(.contextConstructed(1)) { array in
                                    for element in elements { encode(element, values: values, into: &array) }
                                }
                            case nil: MMSResponseEncoder.writeAccessFailure(.objectNonExistent, into: &results)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Resolves a domain-specific name to a variable.
    package func resolve(_ name: ObjectName) -> MMSVariable? {
        guard case .domainSpecific(let domain, let item) = name else { return nil }
        return namespace.variable(domain: domain, item: item)
    }

    /// Applies an alternate access to a variable.
    package func select(_ variable: MMSVariable, _ selections: [AlternateAccessSelection]) -> AccessTarget? {
        guard let selection = selections.first else { return .variable(variable) }
        guard selections.count == 1 else { return nil }  // several unnamed selections at one level are not meaningful here
        switch selection {
        case .component(let name, let rest):
            guard let child = variable.child(named: name[...]) else { return nil }
            return select(child, rest)
        case .index(let index, let rest):
            guard case .array(let elements) = variable.content, index < elements.count else { return nil }
            return select(elements[index], rest)
        case .indexRange(let low, let count, let rest):
            guard case .array(let elements) = variable.content, count > 0, low + count <= elements.count else { return nil }
            var selected: [MMSVariable] = []
            for element in elements[low..<(low + count)] {
                guard case .variable(let inner)? = select(element, rest) else { return nil }
                selected.append(inner)
            }
            return .elements(selected)
        case .allElements(let rest):
            guard case .array(let elements) = variable.content else { return nil }
            var selected: [MMSVariable] = []
            for element in elements {
                guard case .variable(let inner)? = select(element, rest) else { return nil }
                selected.append(inner)
            }
            return .elements(selected)
        }
    }

    /// Encodes a variable's current value from the slots.
    package func encode(_ variable: MMSVariable, values: borrowing [DataValue], into buffer: inout ByteBuffer) {
        let table = variable.table
        table.nodes.withUnsafeBufferPointer { nodes in
            Self.encode(row: variable.row, nodes: nodes, types: table.types, values: values, into: &buffer)
        }
    }

    /// The rows of a variable, walked without a handle per component (reads of whole LNs are the
    /// server's hottest path).
    private static func encode(
        row: Int32, nodes: UnsafeBufferPointer<MMSNodeTable.Node>, types: [BasicType], values: borrowing [DataValue],
        into buffer: inout ByteBuffer
    ) {
        // Field by field: a copy of the whole row would retain its name.
        let kind = nodes[Int(row)].kind
        let first = nodes[Int(row)].first
        switch kind {
        case .leaf:
            MMSValueCodec.encode(values[Int(first)], as: types[Int(nodes[Int(row)].type)], into: &buffer)
        case .structure, .array:
            let count = nodes[Int(row)].count
            buffer.writeBERElement(.contextConstructed(kind == .structure ? 2 : 1)) { members in
                for member in first..<(first + count) { encode(row: member, nodes: nodes, types: types, values: values, into: &members) }
            }
        }
    }

    /// The MMS domain and item of an SCL data set member (`DEMOGenericIO`, `GGIO1$ST$Ind1$stVal`).
    package static func mmsName(of member: DataSetMember, in model: IedModel) -> (String, String) {
        let device = model.logicalDevices.first { $0.inst == member.ldInst }
        let domain = device?.name(iedName: model.name) ?? model.name + member.ldInst
        var item = "\(member.lnName)$\(member.fc.rawValue)$" + member.doName.replacingOccurrences(of: ".", with: "$")
        if !member.daName.isEmpty { item += "$" + member.daName.replacingOccurrences(of: ".", with: "$") }
        return (domain, item)
    }
}
