/// Failed password attempts per peer address, as a value: after `maximumFailures` failures in a row an
/// address is locked out for `lockout`, doubled at each further lock-out up to `maximumLockout`; a
/// success, or `forgetAfter` without attempts, clears the address (``AuthenticationLockout``).
///
/// While locked out, an address's associations are refused without their password being looked at, so
/// guessing cannot go on, and only the lock-out itself is recorded (not every attempt): a flood of bad
/// passwords neither guesses on nor fills the audit trail. Time comes in as monotonic nanoseconds.
struct AuthenticationThrottle: Sendable {
    typealias Policy = AuthenticationLockout

    /// What to do with an attempt from a locked-out address, or after a failed one.
    enum Verdict: Sendable, Equatable {
        /// Check the password as usual.
        case allowed
        /// Refuse without checking; `first` for the first attempt refused in this lock-out (worth an event).
        case lockedOut(remainingNanoseconds: UInt64, first: Bool)
    }

    /// What a failure led to.
    enum FailureOutcome: Sendable, Equatable {
        /// The address may try again; `remaining` attempts before a lock-out.
        case counted(remaining: Int)
        /// The address is now locked out for this long.
        case lockedOut(nanoseconds: UInt64)
    }

    private struct Record: Sendable {
        var failures = 0
        var lockouts = 0
        var lockedUntil: UInt64 = 0
        var lastSeen: UInt64 = 0
        var refusalsThisLockout = 0
    }

    let policy: Policy
    private var records: [String: Record] = [:]
    /// Addresses remembered at most; the stalest go first (a scan of many addresses cannot grow memory).
    let capacity: Int

    init(policy: Policy = AuthenticationLockout(), capacity: Int = 10_000) {
        self.policy = policy
        self.capacity = capacity
    }

    /// An attempt from `address` arrives.
    mutating func attempt(from address: String, now: UInt64) -> Verdict {
        forgetIfStale(address, now: now)
        guard var record = records[address], record.lockedUntil > now else { return .allowed }
        record.refusalsThisLockout += 1
        record.lastSeen = now
        records[address] = record
        return .lockedOut(remainingNanoseconds: record.lockedUntil - now, first: record.refusalsThisLockout == 1)
    }

    /// The password from `address` was wrong (or missing).
    mutating func failed(from address: String, now: UInt64) -> FailureOutcome {
        forgetIfStale(address, now: now)
        if records[address] == nil && records.count >= capacity { evictStalest() }
        var record = records[address] ?? Record()
        record.failures += 1
        record.lastSeen = now
        defer { records[address] = record }
        guard record.failures >= policy.maximumFailures else { return .counted(remaining: policy.maximumFailures - record.failures) }
        let base = UInt64(policy.lockout.components.seconds) * 1_000_000_000
        let longest = UInt64(policy.maximumLockout.components.seconds) * 1_000_000_000
        let length = min(longest, base << UInt64(min(record.lockouts, 20)))
        record.lockouts += 1
        record.failures = 0
        record.refusalsThisLockout = 0
        record.lockedUntil = now &+ length
        return .lockedOut(nanoseconds: length)
    }

    /// The password from `address` was right: its failures are forgotten.
    mutating func succeeded(from address: String) {
        records[address] = nil
    }

    private mutating func forgetIfStale(_ address: String, now: UInt64) {
        guard let record = records[address], record.lockedUntil <= now else { return }
        let quiet = UInt64(policy.forgetAfter.components.seconds) * 1_000_000_000
        if now >= record.lastSeen, now - record.lastSeen >= quiet { records[address] = nil }
    }

    private mutating func evictStalest() {
        guard let stalest = records.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key else { return }
        records[stalest] = nil
    }
}
