import EventLog
import Foundation
import GatewayCore
import Hummingbird
import IEC61850Server
import ServiceLifecycle

/// The live stream of `/api/stream` (Server-Sent Events): at first everything, then every interval what
/// changed since: `points` (the changed points), `devices`, `associations` (whole lists, when they
/// changed), `events` (new rows of the event log). A comment line keeps a quiet stream open. It ends
/// when the client goes or the gateway stops; browsers reconnect by themselves.
struct LiveUpdates: Sendable {
    let operations: GatewayOperations
    let interval: Duration

    /// What the client has been sent so far.
    struct Sent {
        var points: [PointStatus] = []
        var devices: [StatusJSON.Device]?
        var associations: [StatusJSON.Association]?
        var lastEventID: Int64?
        var quietTicks = 0
    }

    func body() -> ResponseBody {
        ResponseBody { [self] writer in
            var sent = Sent()
            while !Task.isCancelled {
                let chunk = try changes(since: &sent)
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch {
                    break
                }
            }
            try await writer.finish(nil)
        }
    }

    /// The events to send now; updates `sent`.
    func changes(since sent: inout Sent) throws -> String {
        var chunk = ""
        let points = operations.points
        if points.count != sent.points.count {
            chunk += try event("points", points.map(StatusJSON.Point.init))
        } else {
            let changed = zip(points, sent.points).filter { $0 != $1 }.map { StatusJSON.Point($0.0) }
            if !changed.isEmpty { chunk += try event("points", changed) }
        }
        sent.points = points
        let devices = operations.devices.map(StatusJSON.Device.init)
        if devices != sent.devices {
            chunk += try event("devices", devices)
            sent.devices = devices
        }
        let associations = operations.server.associations.map(StatusJSON.Association.init)
        if associations != sent.associations {
            chunk += try event("associations", associations)
            sent.associations = associations
        }
        if let storage = operations.storage {
            // The newest 50 at first, then what came since; what is committed now (no waiting on the writer).
            let first = sent.lastEventID == nil
            let events = try storage.events(
                matching: EventQuery(afterID: sent.lastEventID ?? 0), limit: first ? 50 : 500, newest: first, waitForQueued: false)
            if let last = events.last {
                sent.lastEventID = last.id
                chunk += "event: events\ndata: " + (try EventExport.json(events)).replacingOccurrences(of: "\n", with: "") + "\n\n"
            } else if sent.lastEventID == nil {
                sent.lastEventID = 0
            }
        }
        if chunk.isEmpty {
            sent.quietTicks += 1
            if sent.quietTicks >= 15 {
                sent.quietTicks = 0
                chunk = ": quiet\n\n"
            }
        } else {
            sent.quietTicks = 0
        }
        return chunk
    }

    private func event(_ name: String, _ value: some Encodable) throws -> String {
        "event: \(name)\ndata: " + String(decoding: try JSONResponse.encode(value), as: UTF8.self) + "\n\n"
    }
}
