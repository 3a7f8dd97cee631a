import IEC61850Services
import NIOCore

/// The services' timers on an event loop of the server.
struct EventLoopTimers: TimerScheduler {
    let loop: any EventLoop

    @discardableResult
    func schedule(in nanoseconds: UInt64, _ body: @escaping @Sendable () -> Void) -> ScheduledTimer {
        let task = loop.scheduleTask(in: .nanoseconds(Int64(clamping: nanoseconds)), body)
        return ScheduledTimer { task.cancel() }
    }
}
