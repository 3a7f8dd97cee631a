import IEC61850Model
import IEC61850Services
import Logging
import MMS
import NIOCore

/// The file services (PROTOCOL.md §9.2): FileDirectory, FileOpen, FileRead, FileClose and FileDelete
/// over the server's ``FileStore``. Without one, the requests are rejected as unrecognized services and
/// the initiate response does not offer them.
extension MMSServiceBackend {
    /// Octets of a FileRead response around its data (confirmed response, invoke id, the FileRead
    /// element, the data's header and moreFollows), with room for 4-octet lengths of PDUs past 64 KB.
    static let fileReadOverhead = 32

    package func fileService(_ request: ConfirmedServiceRequest, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        guard let files else {
            MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.unrecognizedService), into: &buffer)
            return
        }
        do throws(FileServiceError) {
            switch request {
            case .fileDirectory(let directory):
                try fileDirectory(directory, store: files, invokeID: invokeID, session: session, into: &buffer)
            case .fileOpen(let open):
                let (id, file) = try session.files.add { () throws(FileServiceError) in try files.open(open.name, at: UInt64(open.initialPosition)) }
                let attributes = FileAttributes(size: UInt32(clamping: file.size), lastModified: Self.generalizedTime(file.modified))
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                    FileResponseEncoder.writeFileOpenResponse(frsmID: id, attributes: attributes, into: &$0)
                }
            case .fileRead(let id):
                guard let file = session.files.file(id) else { throw FileServiceError(.other, "no open file \(id)") }
                // At least 40 octets a read: the initiate refuses PDUs under 64, so no PDU size makes a
                // file read loop without end.
                let (bytes, moreFollows) = try file.read(maximum: max(40, session.maximumPDUSize - Self.fileReadOverhead))
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                    FileResponseEncoder.writeFileReadResponse(data: ByteBuffer(bytes: bytes), moreFollows: moreFollows, into: &$0)
                }
            case .fileClose(let id):
                guard session.files.close(id) else { throw FileServiceError(.other, "no open file \(id)") }
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                    FileResponseEncoder.writeNullResponse(service: request.serviceNumber, into: &$0)
                }
            case .fileDelete(let name):
                let permitted = files.settings.allowsDelete && permitted(.deleteFile, name, session: session)
                try files.delete(name, permitted: permitted)
                logger.notice("file deleted", metadata: ["file": "\(name)", "peer": "\(session.connection.peerAddress ?? "?")"])
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                    FileResponseEncoder.writeNullResponse(service: request.serviceNumber, into: &$0)
                }
            default:
                MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.unrecognizedService), into: &buffer)
            }
        } catch {
            logger.debug("file service refused", metadata: ["error": "\(error)"])
            MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: error.code.serviceError, into: &buffer)
        }
    }

    /// One page of a listing: as many entries after `continueAfter` as fit the PDU, moreFollows when
    /// some are left.
    private func fileDirectory(
        _ request: FileDirectoryRequest, store: FileStore, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer
    ) throws(FileServiceError) {
        var entries = try store.list(request.specification)[...]
        if let after = request.continueAfter {
            entries = entries.drop { $0.name <= after }
        }
        var budget = session.maximumPDUSize - 32
        var page: [DirectoryEntry] = []
        for entry in entries {
            budget -= FileResponseEncoder.directoryEntryOverhead(nameLength: entry.name.utf8.count)
            guard budget >= 0 else { break }
            page.append(
                DirectoryEntry(
                    name: entry.name, attributes: FileAttributes(size: UInt32(clamping: entry.size), lastModified: Self.generalizedTime(entry.modified))))
        }
        // An entry too long for the negotiated PDU would make an empty page with more to follow, and a
        // client asking again and again: refused instead.
        guard !page.isEmpty || entries.isEmpty else { throw FileServiceError(.other, "a directory entry does not fit the negotiated PDU size") }
        let moreFollows = page.count < entries.count
        MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
            FileResponseEncoder.writeFileDirectoryResponse(entries: page, moreFollows: moreFollows, into: &$0)
        }
    }
}

extension MMSServiceBackend {
    /// UTC milliseconds since 1970 as GeneralizedTime text, `YYYYMMDDhhmmss.fffZ`.
    static func generalizedTime(_ milliseconds: UInt64) -> String {
        let (date, hour, minute, second, millis) = CivilDate.parts(ofMilliseconds: milliseconds)
        return "\(date.year)\(date.paddedMonth)\(date.paddedDay)\(hour)\(minute)\(second).\(millis)Z"
    }

    /// The store: the configured folder, the served model as `SCL/<IED>.cid` (the exact model served,
    /// a generated one too), and the application's folders. A folder that cannot be used is logged and
    /// left out; the server's own files are still offered.
    static func makeFileStore(_ settings: FileServiceSettings, model: IedModel, extra: [String: any FileSource], logger: Logger) -> FileStore? {
        let now = currentMilliseconds()
        var sources = extra
        sources["SCL"] = StaticFileSource(files: ["\(model.name).cid": Array(SCLWriter.icd(model, description: "served by this IED").utf8)], modified: now)
        do {
            return try FileStore(settings: settings, sources: sources, now: now)
        } catch {
            logger.error("file services: \(error); serving only the server's own files")
            var withoutFolder = settings
            withoutFolder.root = nil
            withoutFolder.allowsDelete = false
            withoutFolder.allowsWrite = false
            return try? FileStore(settings: withoutFolder, sources: sources, now: now)
        }
    }
}

extension FileServiceError.Code {
    /// The ServiceError a refusal is answered with: class file (11) with its code, and resource
    /// capability-unavailable when too many files are open (libIEC61850 answers resource-other there).
    var serviceError: ServiceError {
        switch self {
        case .nonExistent: ServiceError(.file, 7)
        case .nameSyntax: ServiceError(.file, 3)
        case .accessDenied: ServiceError(.file, 6)
        case .positionInvalid: ServiceError(.file, 5)
        case .busy: .capabilityUnavailable
        case .exists: ServiceError(.file, 8)
        case .tooLarge: ServiceError(.file, 9)
        default: ServiceError(.file, 0)
        }
    }
}
