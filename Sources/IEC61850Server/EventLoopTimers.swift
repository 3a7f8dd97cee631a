import IEC61850Services
import NIOCore

/// The services' timers on an event loop of the server.
package struct EventLoopTimers: TimerScheduler {
    package let loop: any EventLoop

    package init(loop: any EventLoop) {
        self.loop = loop
    }

    @discardableResult
    package func schedule(in nanoseconds: UInt64, _ body: @escaping @Sendable () -> Void) -> ScheduledTimer {
        let task = loop.scheduleTask(in: .nanoseconds(Int64(clamping: nanoseconds)), body)
        return ScheduledTimer { task.cancel() }
    }
}
