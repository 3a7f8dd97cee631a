import BERCodec
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

extension MMSServiceBackend {
    package func getNameList(_ request: GetNameListRequest, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        if case .domain(let domainName) = request.scope, request.objectClass == .namedVariable, let domain = namespace.domain(named: domainName) {
            listVariables(of: domain, after: request.continueAfter, session: session, invokeID: invokeID, into: &buffer)
            return
        }
        let names: [String]
        switch (request.scope, request.objectClass) {
        case (.vmd, .domain):
            names = namespace.domains.map(\.name)
        case (.domain(let domainName), let objectClass):
            guard let domain = namespace.domain(named: domainName) else {
                MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
                return
            }
            switch objectClass {
            case .namedVariableList: names = dataSets.names(domain: domain.name).sorted(by: MMSNamespace.mmsOrder)
            case .journal: names = domain.journals
            default: names = []
            }
        case (.association, .namedVariableList):
            names = session.dataSets.names.sorted(by: MMSNamespace.mmsOrder)
        default:
            names = []
        }
        var start = 0
        if let after = request.continueAfter {
            start = Self.partitionIndex(names) { !MMSNamespace.mmsOrder(after, $0) }
        }
        // Fill the response up to the negotiated PDU size, keeping room for the headers.
        var budget = session.maximumPDUSize - 24
        var end = start
        while end < names.count {
            let cost = names[end].utf8.count + (names[end].utf8.count < 128 ? 2 : 4)
            guard cost <= budget else { break }
            budget -= cost
            end += 1
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
            MMSResponseEncoder.writeGetNameListResponse(names: names[start..<end], moreFollows: end < names.count, into: &$0)
        }
    }

    /// Named variables are listed from the sorted variables, their names built for the page only.
    private func listVariables(
        of domain: MMSNamespace.Domain, after continueAfter: String?, session: SessionContext, invokeID: UInt32, into buffer: inout ByteBuffer
    ) {
        let variables = domain.sortedVariables
        var index = 0
        if let after = continueAfter { index = Self.partitionIndex(variables) { !MMSNamespace.mmsOrder(after, $0.path) } }
        var budget = session.maximumPDUSize - 24
        var names: [String] = []
        while index < variables.count {
            let name = variables[index].path
            let cost = name.utf8.count + (name.utf8.count < 128 ? 2 : 4)
            guard cost <= budget else { break }
            budget -= cost
            names.append(name)
            index += 1
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
            MMSResponseEncoder.writeGetNameListResponse(names: names[...], moreFollows: index < variables.count, into: &$0)
        }
    }

    /// The first index whose element does not satisfy `belongsBefore` (the list is sorted).
    package static func partitionIndex<Names: RandomAccessCollection<Element>, Element>(_ names: Names, _ belongsBefore: (Element) -> Bool) -> Int
    where Names.Index == Int {
        var low = 0
        var high = names.count
        while low < high {
            let middle = (low + high) / 2
            if belongsBefore(names[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    package func getVariableAccessAttributes(_ name: ObjectName, invokeID: UInt32, into buffer: inout ByteBuffer) {
        guard let variable = resolve(name) else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
            return
        }
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
            MMSResponseEncoder.writeGetVariableAccessAttributesResponse(type: variable.typeSpecification, into: &$0)
        }
    }
}
