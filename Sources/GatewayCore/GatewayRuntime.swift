import IEC61850Model
import IEC61850Services
import Logging
import Synchronization

/// Puts field readings into the served model: each point's value with its q and t, one atomic batch per
/// delivery (so a poll makes at most one report per control block), honest quality when a source fails.
public final class GatewayRuntime: Sendable {
    public let bindings: [PointBinding]
    /// The services the readings go into (the server's, in the gateway).
    let services: IedServices
    let logger: Logger
    /// Where value, quality and communication events go (the event log), if anywhere: each delivery's
    /// events in one call.
    let record: (@Sendable ([GatewayEvent]) -> Void)?
    /// Each point's field source as the event log names it (`modbus meter1`, `mqtt plant/pv/power`).
    let sources: [String]
    /// What the runtime remembers of a point.
    struct PointState {
        /// The last value written, and whether the point is good now.
        var value: DataValue?
        var good = false
        /// Readings stored so far (a confirmation waits for one taken after its command).
        var readings = 0
        /// The quality the event log last recorded for the point (nil: none yet).
        var loggedQuality: Quality?
        /// When the value last changed (UTC ms), for the operations side.
        var changedMilliseconds: UInt64?
    }

    let points: Mutex<[PointState]>
    /// Sources that failed and have not delivered a good reading since.
    private let downSources = Mutex<Set<String>>([])

    public init(bindings: [PointBinding], services: IedServices, logger: Logger, record: (@Sendable ([GatewayEvent]) -> Void)? = nil) {
        self.bindings = bindings
        self.services = services
        self.logger = logger
        self.record = record
        sources = bindings.map { Self.source(of: $0.point) }
        points = Mutex(Array(repeating: PointState(), count: bindings.count))
    }

    static func source(of point: GatewayConfiguration.Point) -> String {
        if let modbus = point.modbus { return "modbus \(modbus.device)" }
        if let mqtt = point.mqtt { return "mqtt \(mqtt.topic)" }
        return "point \(point.reference)"
    }

    /// The number of readings a point has had so far.
    func readings(of point: Int) -> Int { points.withLock { $0[point].readings } }

    /// Applies one adapter delivery.
    public func apply(_ readings: [FieldReading]) {
        var events: [GatewayEvent] = []
        do {
            try services.batch { batch in
                try points.withLock { points in
                    // Each point is read through a pointer: a copy of its binding would retain and release
                    // every string and box in it, for every point polled (100,000 a second on a large plant).
                    try bindings.withUnsafeBufferPointer { bindings in
                        for reading in readings where reading.point < bindings.count {
                            try apply(reading, binding: bindings.baseAddress! + reading.point, to: &batch, state: &points[reading.point], events: &events)
                        }
                    }
                }
            }
        } catch {
            logger.error("a reading could not be stored", metadata: ["error": "\(error)"])
        }
        if let record {
            let communication = communicationEvents(readings)
            record(communication.isEmpty ? events : communication + events)
        }
        // Counted once the batch is in the model, so a confirmation never sees the count before the value.
        points.withLock { points in
            for reading in readings where reading.point < points.count { points[reading.point].readings += 1 }
        }
    }

    private func apply(
        _ reading: FieldReading, binding: UnsafePointer<PointBinding>, to batch: inout ValueBatch, state last: inout PointState,
        events: inout [GatewayEvent]
    ) throws(ServerError) {
        let time = reading.time.millisecondsSinceEpoch
        if let problem = reading.problem {
            try markInconsistent(binding, failure: .inconsistent, time: reading.time, value: nil, detail: problem, to: &batch, state: &last, events: &events)
            return
        }
        guard let field = reading.value else {
            // The source failed: quality only; the value and t stay those of the last good reading.
            guard last.good || last.value == nil else { return }
            let quality = Self.failed(binding.pointee.point.onFailure)
            if let handle = binding.pointee.quality { try batch.set(handle, .quality(quality)) }
            last.good = false
            if record != nil && last.loggedQuality != quality {
                last.loggedQuality = quality
                events.append(
                    GatewayEvent(
                        timeMilliseconds: currentMilliseconds(), kind: .quality, reference: binding.pointee.dataObject, quality: quality.eventText,
                        detail: "\(sources[reading.point]) does not answer"))
            }
            return
        }
        switch binding.pointee.point.transform.apply(field, to: binding.pointee.value.type) {
        case .success(let value):
            if last.good, let previous = last.value, Self.within(binding.pointee.point.deadband, previous, value) { return }
            try batch.set(binding.pointee.value, value)
            if let quality = binding.pointee.quality { try batch.set(quality, .quality(.good)) }
            if let time = binding.pointee.time { try batch.set(time, .timestamp(reading.time)) }
            if record != nil {
                if let logged = last.loggedQuality, logged != .good {
                    events.append(GatewayEvent(timeMilliseconds: time, kind: .quality, reference: binding.pointee.dataObject, quality: Quality.good.eventText))
                }
                last.loggedQuality = .good
                if last.value != value {
                    events.append(
                        GatewayEvent(
                            timeMilliseconds: time, kind: .value, reference: binding.pointee.value.reference, value: value.eventText,
                            quality: Quality.good.eventText))
                }
            }
            if last.value != value { last.changedMilliseconds = time }
            last.value = value
            last.good = true
        case .failure(let failure):
            try markInconsistent(
                binding, failure: failure, time: reading.time, value: "\(field)",
                detail: failure == .outOfRange ? "value out of range" : "value does not convert", to: &batch, state: &last, events: &events)
        }
    }

    /// The source answered with something unusable: invalid, with detail out-of-range or inconsistent.
    private func markInconsistent(
        _ binding: UnsafePointer<PointBinding>, failure: PointTransform.Failure, time: Timestamp, value: String?, detail: String, to batch: inout ValueBatch,
        state last: inout PointState, events: inout [GatewayEvent]
    ) throws(ServerError) {
        var quality = Quality(validity: .invalid)
        quality.insert(failure == .outOfRange ? .outOfRange : .inconsistent)
        if let handle = binding.pointee.quality { try batch.set(handle, .quality(quality)) }
        if let handle = binding.pointee.time { try batch.set(handle, .timestamp(time)) }
        if record != nil && last.loggedQuality != quality {
            last.loggedQuality = quality
            events.append(
                GatewayEvent(
                    timeMilliseconds: time.millisecondsSinceEpoch, kind: .quality, reference: binding.pointee.dataObject, value: value,
                    quality: quality.eventText, detail: detail))
        }
        last.good = false
    }

    /// A source's first failed reading says it went down; its first good one after that, that it is back.
    private func communicationEvents(_ readings: [FieldReading]) -> [GatewayEvent] {
        var events: [GatewayEvent] = []
        downSources.withLock { down in
            // Nothing down and every reading a value (a healthy plant: 100,000 readings a second): no source
            // changes state, and hashing each reading's source name was 3 % of the gateway's CPU.
            if down.isEmpty && readings.allSatisfy({ $0.value != nil || $0.problem != nil }) { return }
            for reading in readings where reading.point < sources.count {
                let source = sources[reading.point]
                if reading.value == nil && reading.problem == nil {
                    if down.insert(source).inserted {
                        events.append(GatewayEvent(timeMilliseconds: currentMilliseconds(), kind: .communication, reference: source, result: "down"))
                    }
                } else if down.remove(source) != nil {
                    events.append(
                        GatewayEvent(timeMilliseconds: reading.time.millisecondsSinceEpoch, kind: .communication, reference: source, result: "up"))
                }
            }
        }
        return events
    }

    /// The quality of a point whose source stopped answering.
    static func failed(_ kind: GatewayConfiguration.FailureQuality) -> Quality {
        var quality = Quality(validity: kind == .invalid ? .invalid : .questionable)
        quality.insert(.failure)
        if kind == .questionable { quality.insert(.oldData) }
        return quality
    }

    /// Whether a new value is within the deadband of the last one written.
    static func within(_ deadband: Double, _ previous: DataValue, _ value: DataValue) -> Bool {
        if previous == value { return true }
        guard deadband > 0 else { return false }
        switch (previous, value) {
        case (.float32(let a), .float32(let b)): return abs(Double(a) - Double(b)) < deadband
        case (.float64(let a), .float64(let b)): return abs(a - b) < deadband
        case (.integer(let a), .integer(let b)): return abs(Double(a) - Double(b)) < deadband
        case (.unsigned(let a), .unsigned(let b)): return abs(Double(a) - Double(b)) < deadband
        default: return false
        }
    }
}
