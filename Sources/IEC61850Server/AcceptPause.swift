import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Pauses accepting for a second when the listening socket cannot accept (most often: out of file
/// descriptors), says why once per burst, and resumes. The error goes no further: the server keeps
/// listening.
///
/// NIO's `AcceptBackoffHandler` does not help here: after a failed accept the channel keeps its read
/// pending and stays registered for readability, so the (level-triggered) poll wakes it at once, again
/// and again, and one core spins on `accept4` failing with EMFILE. Switching `autoRead` off unregisters
/// the socket from the poll until the pause is over.
final class AcceptPause: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let logger: Logger
    private let pause: TimeAmount
    private var lastLogged: NIODeadline?
    private var suppressed = 0
    private var resume: Scheduled<Void>?

    init(logger: Logger, pause: TimeAmount = .seconds(1)) {
        self.logger = logger
        self.pause = pause
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Only running out of resources pauses accepting; an error of one connection (ECONNABORTED: a
        // peer that connects and resets) must not stop the others being accepted.
        guard let failure = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(failure.errnoCode) else {
            return
        }
        let now = NIODeadline.now()
        if let lastLogged, now - lastLogged < .seconds(10) {
            suppressed += 1
        } else {
            lastLogged = now
            logger.error(
                "cannot accept connections; trying again in \(pause.nanoseconds / 1_000_000) ms",
                metadata: ["error": "\(error)", "suppressedSinceLast": "\(suppressed)"])
            suppressed = 0
        }
        guard resume == nil else { return }
        let channel = context.channel
        channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: pause) { [self] in
            resume = nil
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resume?.cancel()
    }
}
