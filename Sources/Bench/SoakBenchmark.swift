import BERCodec
import Dispatch
import Foundation
import MMS
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Soak: for `seconds`, `clients` associations connect, read, try to enable a URCB (ten instances, so
/// most find them taken), take its reports for a while and close, again and again, while the gateway
/// polls four coils of the Modbus simulator that change every 200 ms and logs every change to its event
/// log and IEC 61850 log. Samples the gateway's resident memory and open descriptors every 10 s; every
/// client that holds a URCB counts the reports it lost (gaps in SqNum).
enum SoakBenchmark {
    struct Sample {
        let seconds: Double
        let residentKiB: Int
        let descriptors: Int
    }

    struct Result {
        var cycles = 0
        var reads = 0
        var enabled = 0
        var reports = 0
        var gaps = 0
        var failures: [String: Int] = [:]
        var samples: [Sample] = []
    }

    static func run(gateway: String, simulator: String, root: String, clients: Int, seconds: Double) throws -> Result {
        let folder = NSTemporaryDirectory() + "soak-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let device = try ServerProcess.modbusSimulator(simulator)
        defer { device.stop() }
        let port = ServerProcess.freePort()
        let points = (1...4).map { "  - ref: GenericIO/GGIO1.Ind\($0)\n    modbus: {device: io, table: coil, address: \($0)}\n    poll-ms: 100\n" }
        let configuration = """
            model: {scl: \(root)/mappings/demo/demo.icd}
            server: {port: \(port), bind: 127.0.0.1, max-associations: \(clients + 20)}
            event-log: {path: \(folder)/events.sqlite}
            modbus:
              - name: io
                tcp: 127.0.0.1:\(device.port)
                timeout-ms: 500
                retry-ms: 1000
            points:
            \(points.joined())
            """
        try configuration.write(toFile: "\(folder)/soak.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            name: "gateway", executable: gateway, arguments: ["run", "--config", "\(folder)/soak.yaml", "--log-level", "warning"], port: port)
        defer { server.stop() }

        let deadline = Date().addingTimeInterval(seconds)
        let result = Mutex(Result())
        // The field: the coils change every 200 ms (only this thread talks to the simulator meanwhile).
        let simulatorBox = UncheckedBox(device)
        let feeder = Thread {
            let device = simulatorBox.value
            var tick = 0
            while Date() < deadline {
                tick += 1
                _ = try? device.command("set coil \(tick % 4 + 1) bool \(tick / 4 % 2 == 0)")
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        feeder.start()
        let done = DispatchGroup()
        for index in 0..<clients {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var cycle = 0
                while Date() < deadline {
                    cycle += 1
                    let outcome = Self.cycle(port: port, instance: index % 10 + 1, holdSeconds: Double(cycle % 5 + 1))
                    result.withLock { total in
                        total.cycles += 1
                        total.reads += outcome.reads
                        total.reports += outcome.reports
                        total.gaps += outcome.gaps
                        if outcome.enabled { total.enabled += 1 }
                        if let failure = outcome.failure { total.failures[failure, default: 0] += 1 }
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let started = Date()
        while Date() < deadline {
            let sample = Sample(seconds: Date().timeIntervalSince(started), residentKiB: server.residentKiB, descriptors: server.openDescriptors)
            result.withLock { $0.samples.append(sample) }
            Thread.sleep(forTimeInterval: min(10, max(0.1, deadline.timeIntervalSinceNow)))
        }
        done.wait()
        Thread.sleep(forTimeInterval: 2)  // the last connections closed: descriptors settle
        let last = Sample(seconds: Date().timeIntervalSince(started), residentKiB: server.residentKiB, descriptors: server.openDescriptors)
        result.withLock { $0.samples.append(last) }
        return result.withLock { $0 }
    }

    struct Outcome {
        var reads = 0
        var reports = 0
        var gaps = 0
        var enabled = false
        var failure: String?
    }

    /// One client's visit: associate, read, try to enable URCB instance `instance`, take reports for
    /// `holdSeconds` (or read for as long), close.
    static func cycle(port: Int, instance: Int, holdSeconds: Double) -> Outcome {
        var outcome = Outcome()
        let client: LoadClient
        do {
            client = try LoadClient(port: port)
        } catch {
            outcome.failure = "connect"
            return outcome
        }
        let domain = "DEMOGenericIO"
        var invokeID: UInt32 = 1
        for item in ["GGIO1$ST$Ind1$stVal", "GGIO1$ST$Ind2", "LLN0$ST$Mod$stVal"] {
            invokeID += 1
            guard (try? client.send(LoadClient.readRequest(invokeID: invokeID, domain: domain, item: item))) != nil,
                (try? client.receiveFrame(timeoutMilliseconds: 5000)) != nil
            else {
                outcome.failure = "read"
                return outcome
            }
            outcome.reads += 1
        }
        let rcb = "LLN0$RP$urcbEvents" + String(format: "%02d", instance)
        let settings: [(String, MMSData)] = [
            ("OptFlds", .bitString(MMSBitString(bytes: [0x40, 0x00], bitCount: 10))),  // sequence-number
            ("TrgOps", .bitString(MMSBitString(bytes: [0x40], bitCount: 6))),  // dchg
            ("RptEna", .boolean(true)),
        ]
        var enabled = true
        for (name, value) in settings {
            invokeID += 1
            let request = LoadClient.request(invokeID: invokeID) { body in
                body.writeBERElement(.contextConstructed(5)) { write in
                    VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: domain, item: "\(rcb)$\(name)"))])
                        .encode(into: &write)
                    write.writeBERElement(.contextConstructed(0)) { value.encode(into: &$0) }
                }
            }
            guard (try? client.send(request)) != nil, let answer = try? awaitResponse(client) else {
                outcome.failure = "write"
                return outcome
            }
            if !answer { enabled = false }  // reserved by another client: this visit only reads
            guard enabled else { break }
        }
        outcome.enabled = enabled
        let until = Date().addingTimeInterval(holdSeconds)
        var lastSequence: Int?
        while Date() < until {
            if !enabled {
                invokeID += 1
                guard (try? client.send(LoadClient.readRequest(invokeID: invokeID, domain: domain, item: "GGIO1$ST$Ind3$stVal"))) != nil,
                    (try? awaitResponse(client)) != nil
                else {
                    outcome.failure = "read"
                    return outcome
                }
                outcome.reads += 1
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            guard let frame = try? client.receiveFrame(timeoutMilliseconds: 1000) else { continue }
            guard let report = try? ReportBenchmark.sequence(in: frame) else { continue }
            outcome.reports += 1
            if let last = lastSequence, (last + 1) & 0xFF != report { outcome.gaps += 1 }
            lastSequence = report
        }
        return outcome
    }

    /// Waits for the confirmed response (reports in between are skipped); true when a write succeeded
    /// (or a read answered).
    static func awaitResponse(_ client: LoadClient) throws -> Bool {
        while true {
            let pdu = try LoadClient.mmsPDU(of: client.receiveFrame(timeoutMilliseconds: 5000))
            guard pdu.tag == .contextConstructed(1) else { continue }
            var response = pdu.children
            _ = try response.readElement(.integer)
            let service = try response.readElement()
            guard service.tag == .contextConstructed(5) else { return true }
            var results = service.children
            return try results.readElement().tag == .context(1)
        }
    }
}
