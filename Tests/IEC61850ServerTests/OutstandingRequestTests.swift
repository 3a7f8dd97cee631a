import Foundation
import IEC61850Model
import NIOCore
import Synchronization
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// A log storage whose reads wait until the test opens the gate (a slow disk).
final class GatedLogStorage: LogStorage {
    let inner = InMemoryLogStorage(maximumEntries: 100)
    let open = Mutex(false)
    let reads = Atomic(0)

    func append(log: String, time: Timestamp, values: [LogEntry.Value]) -> UInt64 { inner.append(log: log, time: time, values: values) }
    func bounds(log: String) -> LogBounds? { inner.bounds(log: log) }
    func entries(log: String, matching query: LogQuery, limit: Int) throws -> [LogEntry] {
        reads.add(1, ordering: .relaxed)
        while !open.withLock({ $0 }) { usleep(1000) }
        return try inner.entries(log: log, matching: query, limit: limit)
    }
}

@Suite("Outstanding requests and deferred answers", .timeLimit(.minutes(1)))
struct OutstandingRequestTests {
    @Test("a request past the negotiated outstanding requests is rejected (max-serv-outstanding-exceeded); the deferred ones are answered")
    func outstandingLimit() async throws {
        let storage = GatedLogStorage()
        let (server, client) = try await ControlServiceTests.connect(configure: {
            $0.maximumServicesOutstanding = 2
            $0.logStorage = storage
        })
        defer { Task { await server.stop() } }
        var pipelined = LogServiceTests.readJournal(1, count: 10)
        var second = LogServiceTests.readJournal(2, count: 10)
        var third = LogServiceTests.readJournal(3, count: 10)
        pipelined.writeBuffer(&second)
        pipelined.writeBuffer(&third)
        let rejected = try await ControlServiceTests.exchange(client, pipelined, expecting: 1)
        #expect(rejected.map(\.hexDump) == ["A4 06 80 01 03 81 01 06"])
        storage.open.withLock { $0 = true }
        let offset = client.received.value.count
        let answers = try ControlServiceTests.pdus(try await client.wait { (try? ControlServiceTests.pdus($0, after: offset).count) ?? 0 >= 2 }, after: offset)
        #expect(answers.count == 2)
        #expect(answers.allSatisfy { $0.readableBytesView.first == 0xA1 })
        // Both answered: a new request is taken again.
        let fourth = try await ControlServiceTests.exchange(client, LogServiceTests.readJournal(4, count: 10), expecting: 1)
        #expect(fourth.first?.readableBytesView.first == 0xA1)
        #expect(storage.reads.load(ordering: .relaxed) == 3)
    }
}

@Suite("Journal queries take the associations in turn")
struct JournalSchedulerTests {
    @Test("one association's ten queued queries delay another's by one query, not ten")
    func fairness() {
        let scheduler = JournalScheduler()
        let order = Mutex<[String]>([])
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        scheduler.submit(association: 1) {
            started.signal()
            release.wait()
            order.withLock { $0.append("A0") }
        }
        started.wait()  // A's first query runs; A queues nine more, then B one
        for index in 1..<10 { scheduler.submit(association: 1) { order.withLock { $0.append("A\(index)") } } }
        scheduler.submit(association: 2) { order.withLock { $0.append("B0") } }
        scheduler.submit(association: 1) { done.signal() }
        release.signal()
        done.wait()
        #expect(order.withLock { $0 }.prefix(3) == ["A0", "A1", "B0"])
    }

    @Test("the queued queries of an association that ended are dropped")
    func cancelled() {
        let scheduler = JournalScheduler()
        let ran = Mutex<[String]>([])
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        scheduler.submit(association: 1) {
            started.signal()
            release.wait()
        }
        started.wait()
        for index in 0..<5 { scheduler.submit(association: 2) { ran.withLock { $0.append("gone\(index)") } } }
        scheduler.submit(association: 3) { ran.withLock { $0.append("kept") } }
        scheduler.submit(association: 3) { done.signal() }
        scheduler.cancel(association: 2)
        release.signal()
        done.wait()
        #expect(ran.withLock { $0 } == ["kept"])
    }
}
