import CMosquitto
import Foundation
import GatewayCore
import Logging

/// A libmosquitto client on libmosquitto's own network thread: connects (and reconnects with back-off),
/// subscribes, publishes, and reports messages and connection changes through its handlers.
///
/// @unchecked Sendable: libmosquitto's threaded interface may be called from any thread; the handlers are
/// set before `start()` and only read afterwards; `connected` is behind a lock.
public final class MQTTClient: @unchecked Sendable {
    public let broker: GatewayConfiguration.MQTTBroker
    private let handle: OpaquePointer
    private let logger: Logger
    private let state = NSLock()
    private var connected = false
    private var subscriptions: [(String, Int)] = []
    /// A message arrived: topic and payload. Runs on libmosquitto's thread: keep it short.
    public var onMessage: @Sendable (String, [UInt8]) -> Void = { _, _ in }
    /// A message larger than the broker's `maximumPayloadBytes` arrived: topic and length (the payload is not copied).
    public var onOversizedMessage: @Sendable (String, Int) -> Void = { _, _ in }
    /// The connection came up (true) or went down (false).
    public var onConnection: @Sendable (Bool) -> Void = { _ in }

    private static let library: Void = { mosquitto_lib_init() }()

    public init(broker: GatewayConfiguration.MQTTBroker, clientID: String? = nil, logger: Logger) throws(MQTTError) {
        _ = Self.library
        self.broker = broker
        var logger = logger
        logger[metadataKey: "broker"] = "\(broker.host):\(broker.port)"
        self.logger = logger
        guard let handle = mosquitto_new(clientID ?? broker.clientID, broker.cleanSession, nil) else { throw MQTTError("create client", code: -1) }
        self.handle = handle
        if let username = broker.username {
            let password = broker.passwordEnvironmentVariable.flatMap { ProcessInfo.processInfo.environment[$0] }
            try check(mosquitto_username_pw_set(handle, username, password), "set username")
        }
        if broker.tls {
            try check(
                mosquitto_tls_set(handle, broker.caFile, broker.caFile == nil ? "/etc/ssl/certs" : nil, broker.certificateFile, broker.keyFile, nil), "set TLS")
        }
        if let status = broker.statusTopic {
            try check(mosquitto_will_set(handle, status, 7, "offline", 1, true), "set last will")
        }
        mosquitto_reconnect_delay_set(handle, 1, 30, true)
        // Without it a value waits for the next packet up to ~40 ms (Nagle) before leaving for the broker.
        mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(handle) { _, object, code in
            guard let object else { return }
            Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue().connectionChanged(code == 0)
        }
        mosquitto_disconnect_callback_set(handle) { _, object, _ in
            guard let object else { return }
            Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue().connectionChanged(false)
        }
        mosquitto_message_callback_set(handle) { _, object, message in
            guard let object, let message, let topic = message.pointee.topic else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue()
            let length = Int(message.pointee.payloadlen)
            guard length <= client.broker.maximumPayloadBytes else { return client.onOversizedMessage(String(cString: topic), length) }
            let payload = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(message.pointee.payloadlen))) } ?? []
            client.onMessage(String(cString: topic), payload)
        }
    }

    deinit {
        stop()
        mosquitto_destroy(handle)
    }

    private func check(_ code: Int32, _ what: String) throws(MQTTError) {
        guard code == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError(what, code: code) }
    }

    /// Subscribes now and after every reconnect.
    public func subscribe(_ topic: String, qos: Int) {
        state.lock()
        subscriptions.append((topic, qos))
        let up = connected
        state.unlock()
        if up { mosquitto_subscribe(handle, nil, topic, Int32(qos)) }
    }

    /// Connects in the background; a broker that is not there yet is tried again with back-off.
    public func start() throws(MQTTError) {
        try check(mosquitto_loop_start(handle), "start the network thread")
        let code = mosquitto_connect_async(handle, broker.host, Int32(broker.port), Int32(broker.keepAliveSeconds))
        if code != MOSQ_ERR_SUCCESS.rawValue {
            logger.warning("broker not reachable yet; retrying", metadata: ["error": "\(String(cString: mosquitto_strerror(code)))"])
        }
    }

    public func stop() {
        if let status = broker.statusTopic, isConnected { mosquitto_publish(handle, nil, status, 7, "offline", 1, true) }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
    }

    public var isConnected: Bool {
        state.lock()
        defer { state.unlock() }
        return connected
    }

    @discardableResult
    public func publish(_ topic: String, _ payload: [UInt8], qos: Int = 1, retain: Bool = false) -> Bool {
        mosquitto_publish(handle, nil, topic, Int32(payload.count), payload, Int32(qos), retain) == MOSQ_ERR_SUCCESS.rawValue
    }

    private func connectionChanged(_ up: Bool) {
        state.lock()
        let changed = connected != up
        connected = up
        let topics = subscriptions
        state.unlock()
        if up {
            for (topic, qos) in topics { mosquitto_subscribe(handle, nil, topic, Int32(qos)) }
            if let status = broker.statusTopic { mosquitto_publish(handle, nil, status, 6, "online", 1, true) }
        }
        if changed {
            if up { logger.notice("connected to the broker") } else { logger.warning("lost the broker; reconnecting") }
            onConnection(up)
        }
    }
}

/// A libmosquitto error.
public struct MQTTError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
    public var description: String { "\(operation): \(code < 0 ? "failed" : String(cString: mosquitto_strerror(code)))" }
}
