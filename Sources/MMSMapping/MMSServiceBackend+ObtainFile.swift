import BERCodec
import IEC61850Services
import MMS
import NIOCore

/// ObtainFile, the ACSI SetFile: the client asks the server to fetch one of its files. Allowed only when
/// the file services store files (`allowsWrite`) and the association has the configure right; the file
/// is written beside its destination and moved into place when complete, never over an existing file.
extension MMSServiceBackend {
    /// How long the client may take to answer each of the server's requests.
    package static let obtainFileStepTimeout = TimeAmount.seconds(10)

    package func obtainFile(source: String, destination: String, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        guard let files else {
            return MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.unrecognizedService), into: &buffer)
        }
        let writer: FileWriter
        do throws(FileServiceError) {
            guard session.obtain.transfer == nil else { throw FileServiceError(.busy, "another ObtainFile is in progress") }
            let permitted = files.settings.allowsWrite && permitted(.writeFile, destination, session: session)
            writer = try files.beginWrite(destination, permitted: permitted)
        } catch {
            logger.info("ObtainFile refused", metadata: ["file": "\(destination)", "error": "\(error)"])
            return MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: error.code.serviceError, into: &buffer)
        }
        let id = session.obtain.nextInvokeID()
        session.obtain.transfer = ObtainFileTransfer(answerInvokeID: invokeID, source: source, writer: writer, awaiting: id)
        send(id, session: session) { FileRequestEncoder.writeFileOpen(name: source, into: &$0) }
        // Nothing is written now: the answer is deferred until the file is stored or the transfer fails.
    }

    /// The client answered one of the server's requests (`element` nil: with an error).
    package func fileTransferAnswered(invokeID: UInt32, element: BERElement?, session: SessionContext) {
        guard var transfer = session.obtain.transfer, transfer.awaiting == invokeID else { return }
        session.obtain.cancelTimer()
        do throws(FileServiceError) {
            switch transfer.step {
            case .opening:
                guard let element else { throw FileServiceError(.nonExistent, "the client could not open '\(transfer.source)'") }
                let (frsmID, size) = try decoded { () throws(MMSDecodeError) in try FileRequestEncoder.fileOpenResponse(element) }
                guard UInt64(size) <= UInt64(files?.settings.maximumWriteSize ?? 0) else {
                    transfer.failure = FileServiceError(.tooLarge, "'\(transfer.source)' has \(size) octets, more than the store takes")
                    return close(&transfer, frsmID: frsmID, session: session)
                }
                transfer.step = .reading(frsmID: frsmID)
                request(&transfer, session: session) { FileRequestEncoder.writeFileRead(frsmID: frsmID, into: &$0) }
            case .reading(let frsmID):
                guard let element else { throw FileServiceError(.transferFailed, "the client refused a FileRead") }
                let (data, moreFollows) = try decoded { () throws(MMSDecodeError) in try FileRequestEncoder.fileReadResponse(element) }
                do {
                    try transfer.writer.append(data.readableBytesView)
                } catch {
                    transfer.failure = error
                    return close(&transfer, frsmID: frsmID, session: session)
                }
                guard moreFollows else { return close(&transfer, frsmID: frsmID, session: session) }
                request(&transfer, session: session) { FileRequestEncoder.writeFileRead(frsmID: frsmID, into: &$0) }
            case .closing:
                // A FileClose the client refused changes nothing of what was read.
                if let failure = transfer.failure { throw failure }
                try transfer.writer.commit()
                logger.notice(
                    "file stored",
                    metadata: ["file": "\(transfer.writer.path)", "octets": "\(transfer.writer.written)", "peer": "\(session.connection.peerAddress ?? "?")"])
                finish(transfer, error: nil, session: session)
            }
        } catch {
            finish(transfer, error: error, session: session)
        }
    }

    private func decoded<T>(_ decode: () throws(MMSDecodeError) -> T) throws(FileServiceError) -> T {
        do {
            return try decode()
        } catch {
            throw FileServiceError(.transferFailed, "the client's answer does not decode: \(error)")
        }
    }

    private func close(_ transfer: inout ObtainFileTransfer, frsmID: Int32, session: SessionContext) {
        transfer.step = .closing
        request(&transfer, session: session) { FileRequestEncoder.writeFileClose(frsmID: frsmID, into: &$0) }
    }

    /// Sends the next request of a transfer and waits for its answer.
    private func request(_ transfer: inout ObtainFileTransfer, session: SessionContext, _ body: (inout ByteBuffer) -> Void) {
        transfer.awaiting = session.obtain.nextInvokeID()
        session.obtain.transfer = transfer
        send(transfer.awaiting, session: session, body)
    }

    private func send(_ invokeID: UInt32, session: SessionContext, _ body: (inout ByteBuffer) -> Void) {
        var pdu = ByteBuffer()
        FileRequestEncoder.writeConfirmedRequest(invokeID: invokeID, into: &pdu, body)
        session.send(pdu)
        let obtain = session.obtain
        obtain.cancelTimer = session.schedule(Self.obtainFileStepTimeout) { [weak obtain] in
            guard let obtain, let transfer = obtain.transfer, transfer.awaiting == invokeID else { return }
            self.finish(transfer, error: FileServiceError(.transferFailed, "the client did not answer in time"), session: session)
        }
    }

    /// Answers the client's ObtainFile and ends the transfer.
    private func finish(_ transfer: ObtainFileTransfer, error: FileServiceError?, session: SessionContext) {
        session.obtain.cancelTimer()
        session.obtain.transfer = nil
        var answer = ByteBuffer()
        if let error {
            transfer.writer.abandon()
            logger.info("ObtainFile failed", metadata: ["file": "\(transfer.writer.path)", "error": "\(error)"])
            MMSResponseEncoder.writeConfirmedError(invokeID: transfer.answerInvokeID, error: error.code.serviceError, into: &answer)
        } else {
            MMSResponseEncoder.writeConfirmedResponse(invokeID: transfer.answerInvokeID, into: &answer) {
                FileResponseEncoder.writeNullResponse(service: 46, into: &$0)
            }
        }
        session.answerLater(answer)
    }
}
