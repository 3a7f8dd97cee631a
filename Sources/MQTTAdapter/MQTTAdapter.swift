import CMosquitto
import Foundation
import GatewayCore
import IEC61850Model
import IEC61850Services
import Logging

/// The MQTT side of the gateway: subscribes to the points' topics, turns messages into readings, marks
/// points failed when the broker is lost or a topic stays silent past its stale time, and sends controls
/// to command topics.
///
/// @unchecked Sendable: `lastSeen`, `failed` and `waiting` are behind `lock`; the client is thread-safe.
public final class MQTTAdapter: @unchecked Sendable {
    public let client: MQTTClient
    private let points: [(index: Int, source: GatewayConfiguration.MQTTSource, stale: Int?)]
    /// The topics devices answer commands on (only their messages are looked at for a request id).
    private let responseTopics: Set<String>
    private let deliver: @Sendable ([FieldReading]) -> Void
    private let logger: Logger
    /// The broker's link state and counters (for the operations side and metrics).
    let monitor: LinkMonitor
    private let lock = NSLock()
    private var lastSeen: [Int: UInt64] = [:]
    private var failed: Set<Int> = []
    private var waiting: [String: CheckedContinuation<ControlResult, Never>] = [:]
    private var staleness: Thread?
    private var running = false

    public init(
        broker: GatewayConfiguration.MQTTBroker, points configured: [GatewayConfiguration.Point], logger: Logger,
        deliver: @escaping @Sendable ([FieldReading]) -> Void
    ) throws(MQTTError) {
        client = try MQTTClient(broker: broker, logger: logger)
        let address = "\(broker.host):\(broker.port)"
        monitor = LinkMonitor(source: "mqtt \(address)", device: address, kind: "mqtt", address: address)
        points = configured.enumerated().compactMap { index, point in point.mqtt.map { (index, $0, point.staleMilliseconds) } }
        self.deliver = deliver
        self.logger = logger
        for point in points { client.subscribe(point.source.topic, qos: point.source.qos) }
        let commands = configured.compactMap { $0.control?.mqtt }
        responseTopics = Set(commands.compactMap(\.responseTopic))
        for command in commands {
            if let response = command.responseTopic { client.subscribe(response, qos: command.qos) }
        }
        client.onMessage = { [weak self] topic, payload in self?.received(topic, payload) }
        client.onOversizedMessage = { [weak self] topic, length in self?.oversized(topic, length) }
        client.onConnection = { [weak self] up in
            guard let self else { return }
            if up {
                self.monitor.answered()
            } else {
                self.monitor.disconnected("lost the broker")
                self.failAll()
            }
        }
    }

    public func start() throws(MQTTError) {
        try client.start()
        lock.lock()
        running = true
        // A topic that never speaks after start-up is as silent as one that stopped: its stale time starts now.
        let now = Self.now()
        for point in points where point.stale != nil { lastSeen[point.index] = now }
        lock.unlock()
        guard points.contains(where: { $0.stale != nil }) else { return }
        let thread = Thread { [weak self] in
            while let self, self.isRunning {
                self.checkStaleness()
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        thread.name = "mqtt-staleness"
        staleness = thread
        thread.start()
    }

    public func stop() {
        lock.lock()
        running = false
        lock.unlock()
        client.stop()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func received(_ topic: String, _ payload: [UInt8]) {
        monitor.received()
        if responseTopics.contains(where: { Self.matches(topic, $0) }), let requestID = Self.responseID(payload) {
            lock.lock()
            let continuation = waiting.removeValue(forKey: requestID)
            lock.unlock()
            if let continuation {
                continuation.resume(returning: Self.result(payload))
                return
            }
        }
        var readings: [FieldReading] = []
        var message = MQTTPayload.Message(payload)
        for point in points where Self.matches(topic, point.source.topic) {
            let reading = MQTTPayload.read(&message, source: point.source)
            let time = reading.time ?? .now()
            if let problem = reading.problem {
                readings.append(FieldReading(point: point.index, malformed: "payload on \(topic): \(problem)", time: time))
            } else {
                readings.append(FieldReading(point: point.index, value: reading.good ? reading.value : nil, time: time))
            }
        }
        seen(readings)
        if !readings.isEmpty { deliver(readings) }
    }

    /// A message larger than the broker's payload limit: its points turn invalid (inconsistent), unread.
    private func oversized(_ topic: String, _ length: Int) {
        let time = Timestamp.now()
        let problem = "payload on \(topic) of \(length) bytes exceeds max-payload (\(client.broker.maximumPayloadBytes))"
        let readings = points.filter { Self.matches(topic, $0.source.topic) }.map { FieldReading(point: $0.index, malformed: problem, time: time) }
        logger.warning("payload over the limit; not read", metadata: ["topic": "\(topic)", "bytes": "\(length)"])
        seen(readings)
        if !readings.isEmpty { deliver(readings) }
    }

    /// The topics of these readings spoke now (the stale time starts again).
    private func seen(_ readings: [FieldReading]) {
        lock.lock()
        let now = Self.now()
        for reading in readings {
            lastSeen[reading.point] = now
            failed.remove(reading.point)
        }
        lock.unlock()
    }

    static func matches(_ topic: String, _ subscription: String) -> Bool {
        var result = false
        mosquitto_topic_matches_sub(subscription, topic, &result)
        return result
    }

    private func failAll() {
        let time = Timestamp.now()
        lock.lock()
        let fresh = points.filter { !failed.contains($0.index) }
        for point in fresh { failed.insert(point.index) }
        lock.unlock()
        if !fresh.isEmpty { deliver(fresh.map { FieldReading(point: $0.index, value: nil, time: time) }) }
    }

    private func checkStaleness() {
        lock.lock()
        // Read under the lock: a message stamps lastSeen under it too, so no stamp is ever later than `now`.
        let now = Self.now()
        var stale: [Int] = []
        for point in points {
            guard let limit = point.stale, !failed.contains(point.index), let seen = lastSeen[point.index] else { continue }
            if now >= seen, now - seen > UInt64(max(limit, 0)) * 1_000_000 {
                failed.insert(point.index)
                stale.append(point.index)
            }
        }
        lock.unlock()
        if !stale.isEmpty {
            logger.warning("topics silent past their stale time; their points turn invalid", metadata: ["points": "\(stale)"])
            let time = Timestamp.now()
            deliver(stale.map { FieldReading(point: $0, value: nil, time: time) })
        }
    }

    // MARK: Controls

    /// Publishes a command and, when the route has a response topic, waits for the answer with the same
    /// request id (at most `timeout`). Without a response topic it returns nil once published: the point's
    /// status then confirms.
    public func command(_ route: GatewayConfiguration.MQTTCommand, action: ControlAction, timeout: Duration) async -> ControlResult? {
        let requestID = UUID().uuidString
        let payload = Self.commandPayload(action, requestID: requestID)
        guard route.responseTopic != nil else {
            return published(client.publish(route.topic, payload, qos: route.qos), route) ? nil : .failure(.abortionByCommunicationLoss)
        }
        return await withCheckedContinuation { continuation in
            lock.lock()
            waiting[requestID] = continuation
            lock.unlock()
            guard published(client.publish(route.topic, payload, qos: route.qos), route) else {
                resolve(requestID, .failure(.abortionByCommunicationLoss))
                return
            }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.resolve(requestID, .failure(.timeLimitOver))
            }
        }
    }

    /// Counts a command's publication.
    private func published(_ done: Bool, _ route: GatewayConfiguration.MQTTCommand) -> Bool {
        if done { monitor.wrote() } else { monitor.writeFailed("could not publish to \(route.topic)") }
        return done
    }

    private func resolve(_ requestID: String, _ result: ControlResult) {
        lock.lock()
        let continuation = waiting.removeValue(forKey: requestID)
        lock.unlock()
        continuation?.resume(returning: result)
    }

    /// `{"reference": …, "value": …, "ctlNum": n, "origin": {"category": c, "identifier": "hex"}, "test": b, "requestId": …}`.
    static func commandPayload(_ action: ControlAction, requestID: String) -> [UInt8] {
        let value: String
        switch action.value {
        case .boolean(let flag): value = flag ? "true" : "false"
        case .integer(let number): value = String(number)
        case .unsigned(let number): value = String(number)
        case .float32(let number): value = "\(number)"
        case .float64(let number): value = "\(number)"
        default: value = "\"\(action.value)\""
        }
        let identifier = action.originIdentifier.map { String(format: "%02x", $0) }.joined()
        let json =
            "{\"reference\":\"\(action.object)\",\"value\":\(value),\"ctlNum\":\(action.controlNumber),"
            + "\"origin\":{\"category\":\(action.originCategory),\"identifier\":\"\(identifier)\"},\"test\":\(action.test),\"requestId\":\"\(requestID)\"}"
        return Array(json.utf8)
    }

    static func responseID(_ payload: [UInt8]) -> String? {
        guard payload.first == UInt8(ascii: "{"), case .success(.object(let object)) = MQTTPayload.parse(payload),
            case .string(let id)? = object["requestId"]
        else { return nil }
        return id
    }

    /// `{"result": "ok"}` succeeds; anything else fails with its `cause` (an AddCause number) or blocked-by-process.
    static func result(_ payload: [UInt8]) -> ControlResult {
        guard case .success(.object(let object)) = MQTTPayload.parse(payload) else {
            return .failure(.blockedByProcess)
        }
        if case .string(let result)? = object["result"], result.lowercased() == "ok" { return .success }
        if case .integer(let cause)? = object["cause"], let addCause = AddCause(rawValue: cause) { return .failure(addCause) }
        return .failure(.blockedByProcess)
    }
}
