import Dispatch
import IEC61850Model
import ISOTransport
import Logging
import MMS
import MMSMapping
import NIOCore
import OSIUpperLayers

/// The channel handler of one association: cuts the byte stream into TPKT frames, runs the state machine's
/// actions and hands MMS requests to the backend. It holds no protocol rules of its own.
///
/// It does its own TPKT framing rather than sit behind a `ByteToMessageHandler`: a whole frame usually
/// arrives in one read and is handled straight from the inbound buffer, and only a partial frame is kept.
final class AssociationHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // Touched only on the channel's event loop: the dynamic exclusivity check buys nothing here.
    @exclusivity(unchecked) private var machine: AssociationStateMachine
    private let backend: MMSServiceBackend
    private let shared: ServerContext
    private let connection: ClientConnection
    private var logger: Logger
    private var session: SessionContext
    private var concluded = false
    /// An association was accepted (its end is then an event too).
    private var associated = false
    /// Bytes received and not handled yet: a frame whose end has not arrived, or frames held back while paused.
    private var partial: ByteBuffer?
    /// Reading is paused until the peer takes our answers.
    private var paused = false
    /// A password is being checked off the event loop: frames wait until the decision is in.
    private var authenticating = false
    private let maximumFrameSize = 65535
    /// Requests whose answer was deferred and has not gone out yet (journal queries, direct controls).
    private var outstanding = 0
    /// A request is being answered now: what is sent meanwhile goes out with its answer (one flush).
    private var responding = false
    /// The negotiated maxServOutstandingCalling: a request past it is rejected (max-serv-outstanding-exceeded).
    private var outstandingLimit = Int.max
    /// Closes the connection if it has not associated in time (``IedServerConfiguration/associationTimeout``).
    private var establishmentTimer: Scheduled<Void>?

    /// The TLS connection's certificate check, on a TLS connection.
    private let tlsPeer: TLSPeer?

    init(shared: ServerContext, connection: ClientConnection, tlsPeer: TLSPeer? = nil, logger: Logger) {
        self.tlsPeer = tlsPeer
        let configuration = shared.configuration
        machine = AssociationStateMachine(
            maximumTPDUSizeExponent: configuration.maximumTPDUSizeExponent, maximumTSDUSize: configuration.maximumMMSPDUSize + 4096)
        self.shared = shared
        self.backend = shared.backend
        self.connection = connection
        self.logger = logger
        self.logger[metadataKey: "association"] = "\(connection.id)"
        self.logger[metadataKey: "peer"] = "\(connection.peerAddress ?? "?")"
        session = SessionContext(
            connection: connection, maximumPDUSize: configuration.maximumMMSPDUSize,
            dataSets: AssociationDataSets(limit: configuration.dataSetLimits.perAssociation),
            files: AssociationFiles(maximum: configuration.files?.maximumOpenPerAssociation ?? 0))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let timeout = shared.configuration.associationTimeout
        let target = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        establishmentTimer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let (handler, context) = target.value
            handler.run(handler.machine.establishmentTimeExpired(), context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var pending = partial {
            pending.writeBuffer(&bytes)
            partial = pending
        } else {
            partial = bytes
        }
        processFrames(context: context)
    }

    /// Handles every whole frame received, unless the peer does not read its answers: then it stops
    /// reading until the outbound buffer drains (backpressure), so a client cannot grow our memory.
    private func processFrames(context: ChannelHandlerContext) {
        guard var bytes = partial else { return }
        partial = nil
        while context.channel.isActive && !paused && !authenticating {
            let frame: ByteBuffer
            do {
                guard let next = try TPKTFrameDecoder.readFrame(from: &bytes, maximumFrameSize: maximumFrameSize) else { break }
                frame = next
            } catch {
                logger.info("closing: \(error)")
                context.close(promise: nil)
                return
            }
            run(machine.frameReceived(frame, allocator: context.channel.allocator), context: context)
            if !context.channel.isWritable {
                paused = true
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
                context.flush()
            }
        }
        if bytes.readableBytes > 0 {
            bytes.discardReadBytes()
            partial = bytes
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if paused && context.channel.isWritable {
            paused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            processFrames(context: context)
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.files.closeAll()
        session.obtain.abandon()
        backend.reporting.associationClosed(session.reportClient)
        backend.control.associationClosed(connection)
        backend.journals.cancel(association: connection.id)
        releaseSenders()
        if associated {
            _ = shared.associations.withLock { $0.removeValue(forKey: connection.id) }
            backend.events.notify(.disconnected(connection))
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        establishmentTimer?.cancel()
        releaseSenders()
    }

    /// The senders capture this handler and its context: dropping them ends that cycle, so a closed
    /// association's handler, pipeline and buffers are freed. A control still executing then sends nothing.
    private func releaseSenders() {
        session.send = { _ in }
        session.sendAfterAnswer = { _ in }
        session.answerLater = { _ in }
    }

    /// Sends one MMS PDU that is not the answer being written (LastApplError, CommandTermination, a deferred response).
    private func sendPDU(_ pdu: ByteBuffer, context: ChannelHandlerContext, flush: Bool) {
        guard context.channel.isActive else { return }
        var out = context.channel.allocator.buffer(capacity: pdu.readableBytes + 32)
        machine.writeMMS(into: &out) { $0.writeImmutableBuffer(pdu) }
        context.write(wrapOutboundOut(out), promise: nil)
        if flush { context.flush() }
    }

    /// A client that stops reading would make what it is sent unasked (reports, deferred answers) grow
    /// without bound: past the limit the association is closed (its URCBs are released; BRCBs keep
    /// buffering for its return). True when it was closed now.
    private func closedForNotReading(_ context: ChannelHandlerContext) -> Bool {
        guard !context.channel.isWritable, let queued = try? context.channel.syncOptions?.getOption(.bufferedWritableBytes),
            queued > shared.configuration.maximumQueuedReportBytes
        else { return false }
        logger.warning("closing: the client does not read what it is sent", metadata: ["queuedBytes": "\(queued)"])
        context.close(promise: nil)
        return true
    }

    /// Writes a batch of reports and flushes once (see ``ReportOutbox``).
    private func send(_ reports: [OutgoingReport], context: ChannelHandlerContext) {
        for report in reports { write(report, context: context) }
        context.flush()
    }

    /// Writes a report as one unconfirmed PDU, encoded in place; one larger than the negotiated PDU size
    /// is sent as segments instead.
    private func write(_ report: OutgoingReport, context: ChannelHandlerContext) {
        guard context.channel.isActive, !concluded, !closedForNotReading(context) else { return shared.metrics.reportsDropped.increment() }
        shared.metrics.reportsSent.increment()
        var out = context.channel.allocator.buffer(capacity: 256)
        var size = 0
        machine.writeMMS(into: &out) { size = InformationReportEncoder.write(report, into: &$0) }
        guard size > session.maximumPDUSize, report.content.members.count > 1 else {
            if out.readableBytes > 0 { context.write(wrapOutboundOut(out), promise: nil) }
            return
        }
        for segment in InformationReportEncoder.encode(report, maximumPDUSize: session.maximumPDUSize, allocator: context.channel.allocator) {
            sendPDU(segment, context: context, flush: false)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.info("closing: \(error)")
        context.close(promise: nil)
    }

    private func run(_ action: AssociationStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none: break
        case .send(let bytes): context.write(wrapOutboundOut(bytes), promise: nil)
        case .sendAndClose(let bytes):
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
        case .close: context.close(promise: nil)
        case .closeUnassociated:
            logger.notice("closing: no association within \(shared.configuration.associationTimeout)")
            shared.notifyRefusal(connection, reason: "no association within \(shared.configuration.associationTimeout)")
            context.close(promise: nil)
        case .associate(let attempt): associate(attempt, context: context)
        case .mms(let pdu): mmsReceived(pdu, context: context)
        }
    }

    private func associate(_ attempt: AssociationStateMachine.Attempt, context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        let request = attempt.request
        guard request.applicationContextName == AssociationRequest.mmsApplicationContext else {
            logger.info("association refused: application context is not MMS")
            run(machine.reject(.rejectedPermanent(diagnostic: 2), allocator: allocator), context: context)
            return
        }
        let mechanism: AuthenticationRequest.Mechanism =
            switch request.mechanismName {
            case nil: request.authenticationValue == nil ? .none : .password
            case AssociationRequest.passwordMechanism?: .password
            case let other?: .other(other)
            }
        let credentials = AuthenticationRequest(
            mechanism: mechanism, password: request.authenticationValue.map { String(decoding: $0, as: UTF8.self) },
            peerAddress: connection.peerAddress, certificate: tlsPeer?.certificate, callingAPTitle: request.callingAPTitle,
            callingAEQualifier: request.callingAEQualifier)
        if checkOffLoop(credentials, request: request, context: context) { return }
        guard let access = authenticate(credentials, context: context) else { return }
        completeAssociation(request, access: access, context: context)
    }

    /// The password hashes of a role mapping cost tens of milliseconds to check: an unremembered password
    /// is checked on a queue of its own, so the event loop (and every association on it) is not held up.
    /// Frames wait meanwhile; the decision comes back to the loop. Returns whether it went off the loop.
    private func checkOffLoop(_ credentials: AuthenticationRequest, request: AssociationRequest, context: ChannelHandlerContext) -> Bool {
        let authenticator = shared.configuration.authenticator
        guard case .roles(let mapping) = authenticator, credentials.mechanism == .password, let password = credentials.password,
            !mapping.remembers(password)
        else { return false }
        if refuseIfLockedOut(context: context) { return true }
        authenticating = true
        let target = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Self.passwordChecks.async {
            let decision = authenticator.decision(for: credentials)
            loop.execute {
                let (handler, context) = target.value
                handler.authenticating = false
                guard context.channel.isActive else { return }
                if let access = handler.admit(credentials, decision, context: context) {
                    handler.completeAssociation(request, access: access, context: context)
                }
                handler.processFrames(context: context)
                context.flush()
            }
        }
        return true
    }

    /// One at a time: a burst of guesses queues here instead of taking every core.
    private static let passwordChecks = DispatchQueue(label: "iec61850.password-checks")

    private func completeAssociation(_ request: AssociationRequest, access: AccessPolicy, context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        guard let initiatePDU = request.userInformation, case .initiateRequest(let initiate)? = try? MMSRequestPDU.decode(initiatePDU) else {
            logger.info("association refused: no valid MMS initiate request")
            shared.notifyRefusal(connection, reason: "no valid MMS initiate request")
            run(machine.reject(.rejectedPermanent(diagnostic: 1), allocator: allocator), context: context)
            return
        }
        switch backend.negotiate(initiate) {
        case .success(let response):
            session = SessionContext(
                connection: connection, access: access, maximumPDUSize: Int(response.localDetailCalled), dataSets: session.dataSets,
                files: session.files)
            outstandingLimit = Int(clamping: response.maxServicesOutstandingCalling)
            logger.debug("associated", metadata: ["pduSize": "\(response.localDetailCalled)"])
            run(machine.accept({ response.encode(into: &$0) }, allocator: allocator), context: context)
            associated = true
            establishmentTimer?.cancel()
            establishmentTimer = nil
            backend.events.notify(.associated(connection))
            shared.associations.withLock {
                $0[connection.id] = AssociationStatus(connection: connection, sinceMilliseconds: currentMilliseconds(), access: access.name)
            }
            let target = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let loop = context.eventLoop
            let sendAfterAnswer: @Sendable (ByteBuffer) -> Void = { pdu in
                loop.execute {
                    let (handler, context) = target.value
                    handler.sendPDU(pdu, context: context, flush: true)
                }
            }
            session.sendAfterAnswer = sendAfterAnswer
            session.schedule = { delay, body in
                let task = loop.assumeIsolated().scheduleTask(in: delay) { body() }
                return { task.cancel() }
            }
            session.answerLater = { pdu in
                guard loop.inEventLoop else {
                    return loop.execute {
                        let (handler, context) = target.value
                        handler.outstanding -= 1
                        guard !handler.closedForNotReading(context) else { return }
                        handler.sendPDU(pdu, context: context, flush: true)
                    }
                }
                let (handler, context) = target.value
                handler.outstanding -= 1  // answered while the request is handled, it never becomes outstanding
                // Outside a request (a control timer on this loop), nothing else will flush it.
                handler.sendPDU(pdu, context: context, flush: !handler.responding)
            }
            session.send = { pdu in
                guard loop.inEventLoop else { return sendAfterAnswer(pdu) }
                let (handler, context) = target.value
                handler.sendPDU(pdu, context: context, flush: !handler.responding)  // flushed with the answer being written
            }
            let outbox = ReportOutbox(loop: loop) { reports in
                let (handler, context) = target.value
                handler.send(reports, context: context)
            }
            backend.reporting.register(connection.id) { outbox.post($0) }
        case .failure(let failure):
            run(
                machine.reject(
                    .rejectedPermanent(diagnostic: 1), initiateError: { MMSResponseEncoder.writeInitiateError(code: failure.code, into: &$0) },
                    allocator: allocator), context: context)
        }
    }

    /// Checks the credentials, through the lock-out of addresses with too many failures; refuses the
    /// association (and records why) when they do not pass. Returns the association's access policy.
    private func authenticate(_ credentials: AuthenticationRequest, context: ChannelHandlerContext) -> AccessPolicy? {
        let authenticator = shared.configuration.authenticator
        if case .none = authenticator { return .unrestricted }
        if refuseIfLockedOut(context: context) { return nil }
        return admit(credentials, authenticator.decision(for: credentials), context: context)
    }

    /// Refuses the association when its address is locked out after failed passwords.
    private func refuseIfLockedOut(context: ChannelHandlerContext) -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        guard case .lockedOut(let remaining, let first) = shared.throttle.withLock({ $0.attempt(from: connection.peerHost, now: now) }) else {
            return false
        }
        let seconds = (remaining + 999_999_999) / 1_000_000_000
        if first {
            logger.warning("association refused: the address is locked out after failed passwords", metadata: ["remainingSeconds": "\(seconds)"])
            backend.events.notify(.authenticationFailed(connection, reason: "locked out for \(seconds) s more after failed passwords"))
        }
        run(machine.reject(.authenticationFailure, allocator: context.channel.allocator), context: context)
        return true
    }

    /// Acts on the authenticator's decision: counts a failure towards the lock-out and refuses, or admits.
    private func admit(_ credentials: AuthenticationRequest, _ decision: AccessDecision, context: ChannelHandlerContext) -> AccessPolicy? {
        let host = connection.peerHost
        guard case .admit(let policy) = decision else {
            let outcome = shared.throttle.withLock { $0.failed(from: host, now: NIODeadline.now().uptimeNanoseconds) }
            let what =
                switch credentials.mechanism {
                case .password: "wrong password"
                case .none where credentials.certificate != nil: "no password, and the certificate \(credentials.certificate!.subject) grants no role"
                case .none: "no password"
                case .other: "unsupported authentication mechanism"
                }
            let reason: String
            switch outcome {
            case .counted(let remaining): reason = "\(what); \(remaining) more before a lock-out"
            case .lockedOut(let nanoseconds): reason = "\(what); the address is locked out for \(nanoseconds / 1_000_000_000) s"
            }
            logger.warning("association refused: authentication failed", metadata: ["reason": "\(reason)"])
            backend.events.notify(.authenticationFailed(connection, reason: reason))
            let result: AssociationResult = credentials.mechanism == .none ? .authenticationRequired : .authenticationFailure
            run(machine.reject(result, allocator: context.channel.allocator), context: context)
            return nil
        }
        // Only a password that was checked and matched clears the address's failures: an association admitted
        // by its address or a default role must not reset the count between guesses.
        if credentials.mechanism == .password { shared.throttle.withLock { $0.succeeded(from: host) } }
        logger.debug("admitted", metadata: ["access": "\(policy.name)"])
        return policy
    }

    private func mmsReceived(_ pdu: ByteBuffer, context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: 256)
        do {
            switch try MMSRequestPDU.decode(pdu) {
            case .confirmedRequest(let invokeID, let request):
                guard !concluded else { return }
                shared.metrics.count(request)
                guard outstanding < outstandingLimit else {
                    logger.info("rejecting a request past the negotiated outstanding requests", metadata: ["limit": "\(outstandingLimit)"])
                    machine.writeMMS(into: &out) {
                        MMSResponseEncoder.writeReject(invokeID: invokeID, reason: .confirmedRequest(.maxServiceOutstandingExceeded), into: &$0)
                    }
                    break
                }
                respond(invokeID: invokeID, into: &out) { backend.respond(to: request, invokeID: invokeID, session: session, into: &$0) }
            case .concludeRequest:
                concluded = true
                machine.writeMMS(into: &out) { MMSResponseEncoder.writeConcludeResponse(into: &$0) }
            case .initiateRequest, .cancelRequest:
                machine.writeMMS(into: &out) { MMSResponseEncoder.writeReject(invokeID: nil, reason: .pduError(.unknownPDUType), into: &$0) }
            case .confirmedResponse(let invokeID, let element):
                backend.fileTransferAnswered(invokeID: invokeID, element: element, session: session)
                return
            case .confirmedError(let invokeID):
                backend.fileTransferAnswered(invokeID: invokeID, element: nil, session: session)
                return
            case .reject, .ignored:
                return
            }
        } catch {
            logger.info("rejecting an undecodable MMS PDU: \(error.error)")
            machine.writeMMS(into: &out) { MMSResponseEncoder.writeReject(invokeID: error.invokeID, reason: error.rejectReason, into: &$0) }
        }
        guard out.readableBytes > 0 else { return }
        context.write(wrapOutboundOut(out), promise: nil)
    }

    /// Writes a confirmed response; one that exceeds the negotiated PDU size becomes a pdu-size error.
    private func respond(invokeID: UInt32, into out: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        var size = 0
        responding = true
        machine.writeMMS(into: &out) { buffer in
            let start = buffer.writerIndex
            body(&buffer)
            size = buffer.writerIndex - start
        }
        responding = false
        if size == 0 {  // the answer comes later (a control executing, a journal query)
            outstanding += 1
            out.clear()
            return
        }
        guard size > session.maximumPDUSize else { return }
        out.clear()
        machine.writeMMS(into: &out) { MMSResponseEncoder.writeConfirmedError(invokeID: invokeID, error: ServiceError(.service, 3), into: &$0) }
    }
}
