import BERCodec
import Dispatch
import Foundation
import MMS
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Report latency: ten associations each enable a URCB over a data set holding one INT64 attribute; the
/// server sets that attribute to CLOCK_MONOTONIC in nanoseconds at a fixed rate, so every report tells how
/// long ago its value was set. Measures update → report arriving at the client, on loopback.
enum ReportBenchmark {
    struct Result {
        var expected = 0
        var received = 0
        var sequenceGaps = 0
        var latencies: [Double] = []
        var cpuPerUpdate: Double = 0
        /// Context switches of the server's threads per update.
        var switchesPerUpdate: Double = 0

        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let sorted = latencies.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
    }

    static let domain = "DEMOGenericIO"
    static let attribute = "GenericIO/GGIO2.AllTypes.int64Mx"

    /// `generate` makes the updates (by default the server's own `tick`); it returns when all are made.
    static func run(
        against server: ServerProcess, clients count: Int, rate: Int, updates: Int, generate: ((ServerProcess) throws -> Void)? = nil
    ) throws -> Result {
        let clients = try (0..<count).map { _ in try LoadClient(port: server.port) }
        try expectSuccess(
            clients[0],
            LoadClient.request(invokeID: 1) { body in
                body.writeBERElement(.contextConstructed(11)) { define in
                    ObjectName.domainSpecific(domain: domain, item: "LLN0$Bench").encode(into: &define)
                    VariableAccessSpecification.listOfVariable([
                        VariableSpecification(name: .domainSpecific(domain: domain, item: "GGIO2$MX$AllTypes$int64Mx"))
                    ]).encode(into: &define)
                }
            }, what: "define LLN0$Bench")
        for (index, client) in clients.enumerated() {
            let rcb = "LLN0$RP$urcbEvents" + String(format: "%02d", index + 1)
            let settings: [(String, MMSData)] = [
                ("DatSet", .visibleString("\(domain)/LLN0$Bench")),
                ("OptFlds", .bitString(MMSBitString(bytes: [0x40, 0x00], bitCount: 10))),  // sequence-number
                ("TrgOps", .bitString(MMSBitString(bytes: [0x40], bitCount: 6))),  // dchg
                ("BufTm", .unsigned(0)),
                ("RptEna", .boolean(true)),
            ]
            for (offset, (name, value)) in settings.enumerated() {
                try expectSuccess(
                    client,
                    LoadClient.request(invokeID: UInt32(10 + offset)) { body in
                        body.writeBERElement(.contextConstructed(5)) { write in
                            VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: domain, item: "\(rcb)$\(name)"))])
                                .encode(into: &write)
                            write.writeBERElement(.contextConstructed(0)) { value.encode(into: &$0) }
                        }
                    }, what: "write \(rcb)$\(name)")
            }
        }

        // One receiving thread per association: each report's value is the monotonic time it was set.
        let collector = Collector()
        let done = DispatchGroup()
        let box = UncheckedBox(clients)
        for index in clients.indices {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var latencies: [Double] = []
                latencies.reserveCapacity(updates)
                var lastSequence: Int?
                var gaps = 0
                while latencies.count < updates {
                    guard let frame = try? box.value[index].receiveFrame(timeoutMilliseconds: 3000) else { break }
                    guard let report = try? report(in: frame) else { continue }
                    let now = monotonicNanoseconds()
                    latencies.append(Double(Int64(now) - report.value) / 1000)
                    if let last = lastSequence, (last + 1) & 0xFF != report.sequence { gaps += 1 }
                    lastSequence = report.sequence
                }
                collector.add(reads: latencies.count, latencies: latencies)
                if gaps > 0 { collector.fail("gaps:\(gaps)") }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let cpuBefore = server.cpuSeconds
        let switchesBefore = server.contextSwitches
        if let generate {
            try generate(server)
        } else {
            let answer = try server.command("tick \(attribute) \(rate) \(updates)")
            guard answer == "ok" else { throw BenchError("\(server.name): tick answered \(answer)") }
        }
        done.wait()
        let cpu = server.cpuSeconds - cpuBefore
        let switches = server.contextSwitches - switchesBefore
        let (received, latencies, notes) = collector.snapshot
        let gaps = notes.compactMap { $0.hasPrefix("gaps:") ? Int($0.dropFirst(5)) : nil }.reduce(0, +)
        return Result(
            expected: updates * count, received: received, sequenceGaps: gaps, latencies: latencies, cpuPerUpdate: cpu / Double(updates) * 1e6,
            switchesPerUpdate: Double(switches) / Double(updates))
    }

    /// The SqNum and the INT64 value of an InformationReport (OptFlds: sequence-number only), or nil.
    static func report(in frame: [UInt8]) throws -> (sequence: Int, value: Int64)? {
        guard let fields = try fields(in: frame), fields.count >= 5, let value = fields.last, value.tag == .context(5) else { return nil }
        return (Int(try fields[2].unsignedValue()), try value.integerValue())
    }

    /// The SqNum of an InformationReport whose OptFlds ask for the sequence number only, or nil.
    static func sequence(in frame: [UInt8]) throws -> Int? {
        guard let fields = try fields(in: frame), fields.count >= 3 else { return nil }
        return Int(try fields[2].unsignedValue())
    }

    /// The access results of an InformationReport (RptID, OptFlds, SqNum, …), or nil for another PDU.
    private static func fields(in frame: [UInt8]) throws -> [BERElement]? {
        let pdu = try LoadClient.mmsPDU(of: frame)
        guard pdu.tag == .contextConstructed(3) else { return nil }
        var unconfirmed = pdu.children
        var report = try unconfirmed.readElement(.contextConstructed(0)).children
        _ = try report.readElement()  // RPT
        var results = try report.readElement(.contextConstructed(0)).children
        return try results.readAll()
    }

    private static func expectSuccess(_ client: LoadClient, _ request: [UInt8], what: String) throws {
        try client.send(request)
        let pdu = try LoadClient.mmsPDU(of: client.receiveFrame())
        guard pdu.tag == .contextConstructed(1) else { throw BenchError("\(what): refused") }
        var response = pdu.children
        _ = try response.readElement(.integer)
        let service = try response.readElement()
        if service.tag == .contextConstructed(5) {  // a write: each result must be success (81 00)
            var results = service.children
            while !results.isAtEnd { guard try results.readElement().tag == .context(1) else { throw BenchError("\(what): refused") } }
        }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
