import Dispatch

/// Where the services' timers run: the server hands them an event loop, tests a fake clock
/// (`ManualClock` in IEC61850TestSupport). A service never
/// sleeps or reads a socket; it asks for `body` to be called after a delay and checks, when called, that the
/// timer is still the one it wants (a replaced timer simply finds nothing to do).
public protocol TimerScheduler: Sendable {
    /// Calls `body` once, `nanoseconds` from now (at once when 0); the result cancels it.
    @discardableResult
    func schedule(in nanoseconds: UInt64, _ body: @escaping @Sendable () -> Void) -> ScheduledTimer
}

/// A timer that has not fired yet can be cancelled (it then never calls its body).
public struct ScheduledTimer: Sendable {
    private let cancelAction: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) {
        cancelAction = cancel
    }

    public func cancel() { cancelAction() }
}

/// The services' time: a monotonic clock for timers, and UTC for time stamps.
package enum ServiceClock {
    /// The monotonic time, in nanoseconds (the system's uptime clock).
    package static func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
