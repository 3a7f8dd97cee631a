import BERCodec
import Foundation
import MMS
import NIOCore

/// ReadJournal latency: a client reads the first `entries` entries of the demo's EventLog by time
/// (QueryLogByTime), following moreFollows with QueryLogAfter, and times the whole read, while the
/// server keeps logging in the background.
enum JournalBenchmark {
    static let domain = "DEMOGenericIO"
    static let log = "LLN0$EventLog"

    /// Milliseconds per read of `entries` entries, `repeats` times, and the pages each read took.
    static func run(port: Int, entries: Int, repeats: Int) throws -> (milliseconds: [Double], pages: Int) {
        let client = try LoadClient(port: port)
        var times: [Double] = []
        var pages = 0
        var invokeID: UInt32 = 1
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            var got = 0
            var last: UInt64?
            pages = 0
            while got < entries {
                invokeID &+= 1
                try client.send(request(invokeID: invokeID, after: last))
                let (ids, more) = try parse(try receivePDU(client))
                pages += 1
                got += ids.count
                last = ids.last ?? last
                guard more, !ids.isEmpty else { break }
            }
            guard got >= entries else { throw BenchError("the log holds only \(got) entries; let it fill longer") }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return (times, pages)
    }

    /// QueryLogByTime from 1970 to an hour from now, or QueryLogAfter `after`.
    static func request(invokeID: UInt32, after: UInt64?) -> [UInt8] {
        LoadClient.request(invokeID: invokeID) { body in
            body.writeBERElement(.contextConstructed(65)) { request in
                request.writeBERElement(.contextConstructed(0)) { ObjectName.domainSpecific(domain: domain, item: log).encode(into: &$0) }
                if let after {
                    request.writeBERElement(.contextConstructed(5)) { start in
                        ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: 0, into: &start)
                        start.writeBERPrimitive(.context(1), bytes: (0..<8).map { UInt8(truncatingIfNeeded: after >> (56 - 8 * UInt64($0))) })
                    }
                } else {
                    let now = UInt64(Date().timeIntervalSince1970 * 1000)
                    request.writeBERElement(.contextConstructed(1)) {
                        ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: 86_400_000 * 5113, into: &$0)
                    }
                    request.writeBERElement(.contextConstructed(2)) {
                        ReadJournalRequest.writeTimeOfDay(.context(0), millisecondsSinceEpoch: now + 3_600_000, into: &$0)
                    }
                }
            }
        }
    }

    /// One MMS PDU, reassembled from the DT TPDUs it came in.
    static func receivePDU(_ client: LoadClient) throws -> BERElement {
        var whole: [UInt8] = []
        while true {
            let frame = try client.receiveFrame(timeoutMilliseconds: 5000)
            guard frame.count > 7 else { throw BenchError("short frame") }
            if whole.isEmpty { whole = Array(frame[..<7]) }
            whole += frame[7...]
            if frame[6] & 0x80 != 0 { return try LoadClient.mmsPDU(of: whole) }
        }
    }

    /// The entry identifiers of a ReadJournal response, and moreFollows.
    static func parse(_ pdu: BERElement) throws -> ([UInt64], Bool) {
        guard pdu.tag == .contextConstructed(1) else { throw BenchError("not a confirmed response: \(pdu.tag)") }
        var response = pdu.children
        _ = try response.readElement(.integer)
        var journal = try response.readElement(.contextConstructed(65)).children
        var list = try journal.readElement(.contextConstructed(0)).children
        let more = try journal.readOptional(.context(1))?.booleanValue() ?? false
        var ids: [UInt64] = []
        while !list.isAtEnd {
            var entry = try list.readElement(.sequence).children
            ids.append(try entry.readElement(.context(0)).bytes.reduce(0) { $0 << 8 | UInt64($1) })
        }
        return (ids, more)
    }
}
