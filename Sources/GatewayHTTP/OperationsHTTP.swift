import EventLog
import Foundation
import GatewayCore
import Hummingbird
import HummingbirdCore
import IEC61850Model
import IEC61850Server
import IEC61850Services
import Logging
import ServiceLifecycle

/// The gateway's HTTP side: the JSON API, live updates, Prometheus metrics and the page, on Hummingbird.
/// It runs as a lifecycle service beside the IEC 61850 server (README, "Operations over HTTP").
public enum OperationsHTTP {
    public struct Settings: Sendable {
        /// 127.0.0.1 by default: the API is for this machine unless the configuration opens it.
        public var bind: String
        public var port: Int
        public var access: HTTPAccess
        /// How often the live stream (`/api/stream`) looks for changes.
        public var updateInterval: Duration
        /// HTTPS with the MMS server's TLS (its certificate, key and client-certificate check).
        public var tls: Bool

        public init(
            bind: String = "127.0.0.1", port: Int = 8102, access: HTTPAccess = HTTPAccess(roles: nil), updateInterval: Duration = .seconds(1),
            tls: Bool = false
        ) {
            self.bind = bind
            self.port = port
            self.access = access
            self.updateInterval = updateInterval
            self.tls = tls
        }

        /// The HTTP server: plain, or behind the MMS server's TLS.
        func serverBuilder(_ server: IedServer) -> HTTPServerBuilder {
            guard tls else { return .http1() }
            return HTTPServerBuilder { responder in ServerTLSChannel(base: HTTP1Channel(responder: responder), server: server) }
        }
    }

    /// The service that serves it; `onRunning` receives the port it listens on.
    public static func service(
        operations: GatewayOperations, metrics: MetricsExporter?, settings: Settings, logger: Logger, onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some Service {
        let router = Router(context: OperationsContext.self)
        router.add(middleware: AccessMiddleware(access: settings.access))
        routes(router, operations: operations, metrics: metrics, settings: settings)
        let scheme = settings.tls ? "https" : "http"
        return Application(
            router: router, server: settings.serverBuilder(operations.server),
            configuration: ApplicationConfiguration(address: .hostname(settings.bind, port: settings.port), serverName: "iec61850-gateway"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.notice("HTTP API and page on \(scheme)://\(settings.bind):\(port)/")
                onRunning(port)
            }, logger: logger)
    }

    static func routes(_ router: Router<OperationsContext>, operations: GatewayOperations, metrics: MetricsExporter?, settings: Settings) {
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: OperationsPage.html)))
        }
        router.get("/api/health") { _, _ in
            let health = operations.health
            let devices = operations.devices
            let model = operations.server.model
            let eventLog = operations.storage.map { storage in storage.status.failure.map { "failing: \($0)" } ?? "ok" }
            let body = StatusJSON.Health(
                status: health.serving ? "ok" : "unavailable", reason: health.reason, ied: model.name, configuration: operations.configurationFile,
                started: EventTime.format(operations.startedMilliseconds),
                uptimeSeconds: Int((currentMilliseconds() - operations.startedMilliseconds) / 1000), associations: operations.server.openAssociations,
                points: operations.field.runtime?.bindings.count ?? 0, devicesUp: devices.filter(\.up).count, devices: devices.count, eventLog: eventLog,
                role: operations.role.rawValue, node: operations.redundancy?.node)
            return try JSONResponse.make(body, status: health.serving ? .ok : .serviceUnavailable)
        }
        router.get("/api/points") { _, _ in try JSONResponse.make(operations.points.map(StatusJSON.Point.init)) }
        router.get("/api/devices") { _, _ in try JSONResponse.make(operations.devices.map(StatusJSON.Device.init)) }
        router.get("/api/associations") { _, _ in try JSONResponse.make(operations.server.associations.map(StatusJSON.Association.init)) }
        router.get("/api/events") { request, _ in
            guard let storage = operations.storage else { throw HTTPError(.notFound, message: "the gateway keeps no event log (--event-log none)") }
            let (query, limit) = try eventQuery(request.uri.queryParameters)
            let events = try await Self.offloaded { try storage.events(matching: query, limit: limit) }
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: try EventExport.json(events))))
        }
        router.post("/api/reload") { _, context in
            try context.requireEngineer()
            let who = "HTTP \(context.peer ?? "?")"
            guard let outcome = try await Self.offloaded({ operations.reload(requestedBy: who) }) else {
                throw HTTPError(.conflict, message: "the gateway runs no configuration file (--scl alone): nothing to reload")
            }
            return try JSONResponse.make(outcome, status: outcome.applied ? .ok : .unprocessableContent)
        }
        router.post("/api/modbus") { request, context in
            let body = try await request.decode(as: RegisterTest.Request.self, context: context)
            return try await RegisterTest.run(body, operations: operations, context: context)
        }
        router.post("/api/substitution") { request, context in
            let body = try await request.decode(as: SubstitutionRequest.self, context: context)
            return try SubstitutionRequest.run(body, server: operations.server, context: context)
        }
        router.get("/api/stream") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: LiveUpdates(operations: operations, interval: settings.updateInterval).body())
        }
        if let metrics {
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metrics.scrape(operations))))
            }
        }
    }

    /// The `events` command's filters as query parameters: from, to (ISO 8601, a date, or `-10m`),
    /// reference (a prefix), kind (repeatable), limit (default 1000).
    static func eventQuery(_ parameters: Parameters) throws -> (EventQuery, Int) {
        let now = currentMilliseconds()
        var query = EventQuery(referencePrefix: parameters.get("reference").flatMap { $0.isEmpty ? nil : $0 })
        for kind in parameters.getAll("kind") where !kind.isEmpty {
            guard let known = GatewayEvent.Kind(rawValue: kind) else {
                throw HTTPError(.badRequest, message: "kind '\(kind)' is not one of \(GatewayEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.kinds.insert(known)
        }
        for (name, keyPath) in [("from", \EventQuery.from), ("to", \EventQuery.to)] {
            guard let text = parameters.get(name), !text.isEmpty else { continue }
            guard let time = EventTime.parse(text, now: now) else {
                throw HTTPError(.badRequest, message: "\(name) '\(text)' is not a time (2026-11-26T10:00:00Z, 2026-11-26 or -2h)")
            }
            query[keyPath: keyPath] = time
        }
        if let after = parameters.get("after") {
            guard let id = Int64(after) else { throw HTTPError(.badRequest, message: "after '\(after)' is not an event id") }
            query.afterID = id
        }
        var limit = 1000
        if let text = parameters.get("limit") {
            guard let value = Int(text), (1...100_000).contains(value) else { throw HTTPError(.badRequest, message: "limit must be 1…100000") }
            limit = value
        }
        return (query, limit)
    }

    /// Runs blocking work (SQLite reads) off the concurrency pool's threads.
    static func offloaded<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
