import GatewayCore
import Testing

@Suite("Link monitor: a field source's state and counters for the operations side")
struct LinkMonitorTests {
    @Test("down until the first answer; a failure turns it down with the error; counters add up")
    func transitions() {
        let monitor = LinkMonitor(source: "modbus meter", device: "meter", kind: "modbus", address: "10.0.0.5:502 unit 1")
        var link = monitor.link
        #expect(!link.up && link.sinceMilliseconds == nil && link.requests == 0)
        #expect(link.source == "modbus meter" && link.device == "meter" && link.kind == "modbus" && link.address == "10.0.0.5:502 unit 1")

        monitor.answered(roundTrip: .microseconds(1500), at: 1000)
        monitor.answered(roundTrip: .milliseconds(3), at: 2000)
        link = monitor.link
        #expect(link.up && link.sinceMilliseconds == 1000 && link.requests == 2 && link.roundTripMilliseconds == 3 && link.lastGoodMilliseconds == 2000)

        monitor.failed("timed out", at: 3000)
        monitor.failed("connection refused", at: 4000)
        link = monitor.link
        #expect(!link.up && link.sinceMilliseconds == 3000 && link.readErrors == 2)
        #expect(link.lastError == "connection refused" && link.lastErrorMilliseconds == 4000)

        monitor.wrote()
        monitor.writeFailed("exception 2", at: 5000)
        link = monitor.link
        #expect(link.writes == 1 && link.writeErrors == 1 && link.lastError == "exception 2" && !link.up)

        monitor.answered(at: 6000)
        monitor.received(at: 6500)
        link = monitor.link
        #expect(link.up && link.sinceMilliseconds == 6000 && link.messages == 1 && link.lastGoodMilliseconds == 6500)
        monitor.disconnected("lost the broker", at: 7000)
        #expect(!monitor.link.up && monitor.link.readErrors == 2 && monitor.link.lastError == "lost the broker")
    }
}
