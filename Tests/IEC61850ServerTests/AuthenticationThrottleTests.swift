import Synchronization
import Testing

@testable import IEC61850Server
@testable import MMSMapping

@Suite("Failed passwords: lock-out per address, and summarised refusals")
struct AuthenticationThrottleTests {
    static let second: UInt64 = 1_000_000_000

    @Test("five failures lock an address out for a minute, then twice as long; others are not affected; a success clears")
    func lockout() {
        var throttle = AuthenticationThrottle()
        for attempt in 1...4 {
            #expect(throttle.attempt(from: "10.0.0.9", now: 0) == .allowed)
            #expect(throttle.failed(from: "10.0.0.9", now: 0) == .counted(remaining: 5 - attempt))
        }
        #expect(throttle.failed(from: "10.0.0.9", now: 0) == .lockedOut(nanoseconds: 60 * Self.second))
        #expect(throttle.attempt(from: "10.0.0.9", now: 1) == .lockedOut(remainingNanoseconds: 60 * Self.second - 1, first: true))
        #expect(throttle.attempt(from: "10.0.0.9", now: 2) == .lockedOut(remainingNanoseconds: 60 * Self.second - 2, first: false))
        #expect(throttle.attempt(from: "10.0.0.7", now: 2) == .allowed)
        // After the lock-out, five more failures lock it out for twice as long.
        let later = 61 * Self.second
        #expect(throttle.attempt(from: "10.0.0.9", now: later) == .allowed)
        for _ in 1...4 { _ = throttle.failed(from: "10.0.0.9", now: later) }
        #expect(throttle.failed(from: "10.0.0.9", now: later) == .lockedOut(nanoseconds: 120 * Self.second))
        // A success forgets the address.
        var other = AuthenticationThrottle()
        for _ in 1...4 { _ = other.failed(from: "10.0.0.9", now: 0) }
        other.succeeded(from: "10.0.0.9")
        #expect(other.failed(from: "10.0.0.9", now: 0) == .counted(remaining: 4))
    }

    @Test("lock-outs double up to the maximum; a quiet hour forgets; memory is bounded by the capacity")
    func bounds() {
        var throttle = AuthenticationThrottle(capacity: 3)
        var now: UInt64 = 0
        var lengths: [UInt64] = []
        for _ in 0..<6 {
            for _ in 1...4 { _ = throttle.failed(from: "a", now: now) }
            if case .lockedOut(let length) = throttle.failed(from: "a", now: now) { lengths.append(length / Self.second) }
            now += 1000 * Self.second
        }
        #expect(lengths == [60, 120, 240, 480, 900, 900])
        now += 3601 * Self.second
        #expect(throttle.failed(from: "a", now: now) == .counted(remaining: 4))  // forgotten after a quiet hour
        for (offset, host) in ["b", "c", "d"].enumerated() { _ = throttle.failed(from: host, now: now + UInt64(offset) + 1) }
        #expect(throttle.failed(from: "a", now: now + 10) == .counted(remaining: 4))  // "a" was the stalest: evicted
    }

    @Test("refusals of one kind: one event per 10 s window, the next says how many were left out")
    func summary() {
        var summary = RefusalSummary()
        #expect(summary.admit("association limit reached", now: 0) == "association limit reached")
        for index in 1...99 { #expect(summary.admit("association limit reached", now: UInt64(index) * 1_000_000) == nil) }
        #expect(summary.admit("no valid MMS initiate request", now: 5) == "no valid MMS initiate request")
        #expect(
            summary.admit("association limit reached", now: 11 * Self.second)
                == "association limit reached (and 99 more like it since the last event)")
    }
}

@Suite("Server event observers")
struct ServerEventObserverTests {
    @Test("an observer notified 300,000 times is still called directly: reading it back adds nothing (it overflowed a stack before)")
    func notifiedOften() {
        let observers = ServerEventObservers()
        let count = Atomic(0)
        observers.set { _ in count.add(1, ordering: .relaxed) }
        let connection = ClientConnection(id: 1, peerAddress: "127.0.0.1:1")
        for _ in 0..<300_000 { observers.notify(.disconnected(connection)) }
        #expect(count.load(ordering: .relaxed) == 300_000)
    }
}
