import IEC61850Services
import Synchronization

/// A clock that moves only when told to, and runs the timers that come due: for testing the services'
/// state machines (select timeouts, integrity periods, buffer times) without an event loop or waiting.
///
/// ```swift
/// let clock = ManualClock()
/// clock.advance(byMilliseconds: 1000)  // runs, in deadline order, every timer due by then
/// ```
public final class ManualClock: TimerScheduler, Sendable {
    private struct Timer {
        let deadline: UInt64
        let sequence: UInt64
        let body: @Sendable () -> Void
    }

    private struct State {
        var now: UInt64
        var timers: [UInt64: Timer] = [:]
        var nextSequence: UInt64 = 0
    }

    private let state: Mutex<State>

    /// A clock at `startNanoseconds` (monotonic); UTC reads as 2023-11-14 plus the same amount.
    public init(startNanoseconds: UInt64 = 1_000_000_000) {
        state = Mutex(State(now: startNanoseconds))
    }

    /// The monotonic time, in nanoseconds.
    public var nanoseconds: UInt64 { state.withLock { $0.now } }

    /// UTC milliseconds: 1,700,000,000,000 (2023-11-14) plus the monotonic time.
    public var utcMilliseconds: UInt64 { 1_700_000_000_000 + nanoseconds / 1_000_000 }

    /// Timers waiting to fire.
    public var pendingTimers: Int { state.withLock { $0.timers.count } }

    @discardableResult
    public func schedule(in nanoseconds: UInt64, _ body: @escaping @Sendable () -> Void) -> ScheduledTimer {
        let sequence = state.withLock { state in
            state.nextSequence += 1
            state.timers[state.nextSequence] = Timer(deadline: state.now &+ nanoseconds, sequence: state.nextSequence, body: body)
            return state.nextSequence
        }
        return ScheduledTimer { [weak self] in _ = self?.state.withLock { $0.timers.removeValue(forKey: sequence) } }
    }

    /// Moves the clock on by `milliseconds`, firing each timer due on the way at its deadline, in deadline
    /// order (timers a firing timer schedules fire too when they come due within the step).
    public func advance(byMilliseconds milliseconds: UInt64) {
        let target = nanoseconds &+ milliseconds * 1_000_000
        while true {
            let next = state.withLock { state -> Timer? in
                guard let due = state.timers.values.filter({ $0.deadline <= target }).min(by: { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) })
                else {
                    state.now = target
                    return nil
                }
                state.timers[due.sequence] = nil
                state.now = max(state.now, due.deadline)
                return due
            }
            guard let next else { return }
            next.body()
        }
    }
}
