import BERCodec
import Dispatch
import Foundation
import MMS
import NIOCore

/// Control round trips on one association: direct-normal operate, select (SBO read) + operate, and an
/// enhanced-security operate up to its CommandTermination.
enum ControlBenchmark {
    struct Result {
        var direct: [Double] = []
        var selectOperate: [Double] = []
        var enhanced: [Double] = []
        var cpuPerCommand: Double = 0

        static func percentile(_ samples: [Double], _ p: Double) -> Double {
            guard !samples.isEmpty else { return 0 }
            let sorted = samples.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
    }

    static let domain = "DEMOGenericIO"

    static func operate(_ value: Bool, ctlNum: UInt64) -> MMSData {
        .structure([
            .boolean(value), .structure([.integer(3), .octetString(Array("bench".utf8))]), .unsigned(ctlNum & 0xFF),
            .utcTime([UInt8](repeating: 0, count: 8)), .boolean(false), .bitString(MMSBitString(bytes: [0x00], bitCount: 2)),
        ])
    }

    static func write(_ invokeID: UInt32, _ item: String, _ value: MMSData) -> [UInt8] {
        LoadClient.request(invokeID: invokeID) { body in
            body.writeBERElement(.contextConstructed(5)) { write in
                VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: domain, item: item))]).encode(into: &write)
                write.writeBERElement(.contextConstructed(0)) { value.encode(into: &$0) }
            }
        }
    }

    /// Waits for the confirmed response (skipping unconfirmed PDUs); fails on a refusal.
    static func confirmed(_ client: LoadClient, what: String) throws -> BERElement {
        while true {
            let pdu = try LoadClient.mmsPDU(of: client.receiveFrame(timeoutMilliseconds: 5000))
            if pdu.tag == .contextConstructed(3) { continue }
            guard pdu.tag == .contextConstructed(1), !pdu.bytes.contains(0x80) || what == "SBO" else { throw BenchError("\(what) refused") }
            return pdu
        }
    }

    static func run(against server: ServerProcess, commands: Int) throws -> Result {
        let client = try LoadClient(port: server.port)
        var result = Result()
        var invokeID: UInt32 = 1
        func next() -> UInt32 {
            invokeID &+= 1
            return invokeID
        }
        // Warm up once per object.
        try client.send(write(next(), "GGIO1$CO$SPCSO1$Oper", operate(true, ctlNum: 0)))
        _ = try confirmed(client, what: "Oper")
        let cpuBefore = server.cpuSeconds
        for index in 0..<commands {
            let value = index % 2 == 0
            var start = DispatchTime.now().uptimeNanoseconds
            try client.send(write(next(), "GGIO1$CO$SPCSO1$Oper", operate(value, ctlNum: UInt64(index))))
            _ = try confirmed(client, what: "Oper")
            result.direct.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)

            start = DispatchTime.now().uptimeNanoseconds
            try client.send(LoadClient.readRequest(invokeID: next(), domain: domain, item: "GGIO1$CO$SPCSO2$SBO"))
            _ = try confirmed(client, what: "SBO")
            try client.send(write(next(), "GGIO1$CO$SPCSO2$Oper", operate(value, ctlNum: UInt64(index))))
            _ = try confirmed(client, what: "Oper")
            result.selectOperate.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)

            start = DispatchTime.now().uptimeNanoseconds
            try client.send(write(next(), "GGIO1$CO$SPCSO3$Oper", operate(value, ctlNum: UInt64(index))))
            var terminated = false
            var answered = false
            while !(terminated && answered) {
                let pdu = try LoadClient.mmsPDU(of: client.receiveFrame(timeoutMilliseconds: 5000))
                if pdu.tag == .contextConstructed(3) { terminated = true } else { answered = true }
            }
            result.enhanced.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
        }
        result.cpuPerCommand = (server.cpuSeconds - cpuBefore) / Double(commands * 3) * 1e6
        return result
    }
}
