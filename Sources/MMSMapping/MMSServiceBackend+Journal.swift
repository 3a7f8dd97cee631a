import BERCodec
import Dispatch
import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// ReadJournal (PROTOCOL.md §7): the log service's queries by time and after an entry, answered from the
/// log storage off the event loop, a PDU at a time with moreFollows.
extension MMSServiceBackend {
    /// The most entries read from the storage for one response; a client pages for more.
    package static let journalPageEntries = 2_000

    package func readJournal(_ request: ReadJournalRequest, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        guard case .domainSpecific(let domain, let item) = request.journal, let storage = logStorage,
            reporting.logLayout.logs.contains("\(domain)/\(item)")
        else {
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: .objectNonExistent, into: &buffer)
            return
        }
        let now = currentMilliseconds()
        var query = LogQuery()
        var wanted = Int.max
        switch request.rangeStart {
        case .time(let time): query.from = Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch(now: now))
        case .entry(let octets):
            guard let id = LogControlBlock.entryID(octets: octets) else { return invalidArgument(invokeID, into: &buffer) }
            if id > 0 { query.afterEntry = id - 1 }
        case nil: break
        }
        switch request.rangeStop {
        case .time(let time): query.to = Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch(now: now))
        case .numberOfEntries(let count):
            guard count >= 0 else { return invalidArgument(invokeID, into: &buffer) }
            wanted = Int(count)
        case nil: break
        }
        if let after = request.startAfter {
            guard let id = LogControlBlock.entryID(octets: after.entry) else { return invalidArgument(invokeID, into: &buffer) }
            query.afterEntry = max(query.afterEntry ?? 0, id)
        }
        // The storage may block (a disk read): answer from the journal queue, never from the event loop.
        let log = "\(domain)/\(item)"
        let limit = session.maximumPDUSize
        let answer = session.answerLater
        let logger = logger
        let namespace = namespace
        journals.submit(association: session.connection.id) { [query, wanted] in
            var response = ByteBuffer()
            do {
                // Work bounded by the negotiated PDU size: no entry encodes in fewer than 32 octets.
                let page = min(wanted, Self.journalPageEntries, limit / 32 + 1)
                let entries = try storage.entries(log: log, matching: query, limit: page)
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &response) { body in
                    JournalEncoder.writeResponse(
                        entries, more: entries.count == page && wanted > page, maximumPDUSize: limit, namespace: namespace, into: &body)
                }
            } catch {
                logger.error("a journal query failed", metadata: ["log": "\(log)", "error": "\(error)"])
                response.clear()
                MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: ServiceError(.resource, 0), into: &response)
            }
            answer(response)
        }
    }

    private func invalidArgument(_ invokeID: UInt32, into buffer: inout ByteBuffer) {
        MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.invalidArgument), into: &buffer)
    }
}

/// Encodes ReadJournal responses (PROTOCOL.md §7).
package enum JournalEncoder {
    /// The ReadJournal-Response (`BF 41`) with as many of `entries` as fit in `maximumPDUSize`, and
    /// moreFollows when some did not fit or `more` says the storage holds more.
    package static func writeResponse(_ entries: [LogEntry], more: Bool, maximumPDUSize: Int, namespace: MMSNamespace, into buffer: inout ByteBuffer) {
        // Room for the PDU's own headers (invoke id, the two constructed tags with long lengths, moreFollows).
        let budget = maximumPDUSize - 32
        var encoded = ByteBuffer()
        var moreFollows = more
        for entry in entries {
            let mark = encoded.writerIndex
            write(entry, namespace: namespace, into: &encoded)
            if encoded.readableBytes > budget {
                encoded.moveWriterIndex(to: mark)
                moreFollows = true
                break
            }
        }
        buffer.writeBERElement(BERTag.contextConstructed(65)) { response in
            response.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(encoded) }
            if moreFollows { response.writeBERBoolean(.context(1), true) }
        }
    }

    /// One JournalEntry: identifier, an empty originating application, the time and the variables, each
    /// data set member (by its MMS name, as MMS Data) followed by its ReasonCode.
    package static func write(_ entry: LogEntry, namespace: MMSNamespace, into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.sequence) { journal in
            journal.writeBERPrimitive(.context(0), bytes: LogControlBlock.entryIDOctets(entry.entryID))
            journal.writeBytes([0xA1, 0x02, 0x30, 0x00])
            journal.writeBERElement(.contextConstructed(2)) { content in
                ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: entry.time.millisecondsSinceEpoch, into: &content)
                content.writeBERElement(.contextConstructed(2)) { data in
                    data.writeBERElement(.contextConstructed(1)) { variables in
                        for value in entry.values {
                            // A storage someone else wrote, or a model changed since, may hold anything: only
                            // values that fit a variable of this model go out.
                            guard let (name, variable) = resolve(value, in: namespace) else { continue }
                            variables.writeBERElement(.sequence) { item in
                                item.writeBERString(.context(0), name)
                                item.writeBERElement(.contextConstructed(1)) {
                                    var index = 0
                                    InformationReportEncoder.encode(variable, values: value.values, index: &index, into: &$0)
                                }
                            }
                            variables.writeBERElement(.sequence) { item in
                                item.writeBERString(.context(0), "ReasonCode")
                                item.writeBERElement(.contextConstructed(1)) { MMSValueCodec.writeBits(UInt32(value.reasonCode), count: 7, into: &$0) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The MMS name and variable of a log value's member, when its values fit the variable's attributes.
    package static func resolve(_ value: LogEntry.Value, in namespace: MMSNamespace) -> (String, MMSVariable)? {
        guard let (domain, item) = DataSetEntry.mmsName(ofReference: value.reference), let variable = namespace.variable(domain: domain, item: item)
        else { return nil }
        var fits = true
        var index = 0
        variable.forEachLeaf { _, type, _ in
            fits = fits && index < value.values.count && value.values[index].conforms(to: type)
            index += 1
        }
        return fits && index == value.values.count ? ("\(domain)/\(item)", variable) : nil
    }
}

extension MMSServiceBackend {
    /// A log value as schema 3 kept it (MMS name, MMS Data), in model terms: nil when the name is not a
    /// variable of this model or the data does not fit it.
    package func convert(_ legacy: LegacyLogValue) -> LogEntry.Value? {
        guard let slash = legacy.mmsReference.firstIndex(of: "/") else { return nil }
        let domain = String(legacy.mmsReference[..<slash])
        let item = String(legacy.mmsReference[legacy.mmsReference.index(after: slash)...])
        guard let variable = namespace.variable(domain: domain, item: item) else { return nil }
        var reader = BERReader(ByteBuffer(bytes: legacy.mmsData))
        guard let element = try? reader.readElement(), reader.isAtEnd, let data = try? MMSData.decode(element) else { return nil }
        var values: [DataValue] = []
        guard Self.leaves(of: data, as: variable, into: &values) else { return nil }
        let reference = DataSetEntry.reference(of: VariableSpecification(name: .domainSpecific(domain: domain, item: item)))
        return LogEntry.Value(reference: reference, values: values, reasonCode: legacy.reasonCode)
    }

    /// The basic attribute values of `data`, shaped as `variable`; false when the shapes differ.
    private static func leaves(of data: MMSData, as variable: MMSVariable, into values: inout [DataValue]) -> Bool {
        switch (variable.content, data) {
        case (.leaf(let type, _), _):
            guard case .success(let value) = MMSValueCodec.decode(data, as: type) else { return false }
            values.append(value)
            return true
        case (.structure(let children), .structure(let components)), (.array(let children), .array(let components)):
            guard children.count == components.count else { return false }
            for (child, component) in zip(children, components) where !leaves(of: component, as: child, into: &values) { return false }
            return true
        default:
            return false
        }
    }

    /// Converts the log storage's entries of the older form, before ReadJournal is answered from it.
    package func convertLegacyLogEntries() {
        guard let storage = logStorage as? any LegacyLogConversion, storage.hasLegacyEntries else { return }
        do {
            _ = try storage.convertLegacyEntries { convert($0) }
        } catch {
            logger.error("the log's older entries could not be converted; ReadJournal shows them without values", metadata: ["error": "\(error)"])
        }
    }
}
