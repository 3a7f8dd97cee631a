import IEC61850Model
import IEC61850Server
import Logging
import Synchronization

/// Puts field readings into the served model: each point's value with its q and t, one atomic batch per
/// delivery (so a poll makes at most one report per control block), honest quality when a source fails.
public final class GatewayRuntime: Sendable {
    public let bindings: [PointBinding]
    let server: IedServer
    let logger: Logger
    /// What the runtime remembers of a point.
    struct PointState {
        /// The last value written, and whether the point is good now.
        var value: DataValue?
        var good = false
        /// Readings stored so far (a confirmation waits for one taken after its command).
        var readings = 0
    }

    private let points: Mutex<[PointState]>

    public init(bindings: [PointBinding], server: IedServer, logger: Logger) {
        self.bindings = bindings
        self.server = server
        self.logger = logger
        points = Mutex(Array(repeating: PointState(), count: bindings.count))
    }

    /// The number of readings a point has had so far.
    func readings(of point: Int) -> Int { points.withLock { $0[point].readings } }

    /// Applies one adapter delivery.
    public func apply(_ readings: [FieldReading]) {
        do {
            try server.batch { batch in
                try points.withLock { points in
                    for reading in readings where reading.point < bindings.count {
                        try apply(reading, to: &batch, state: &points[reading.point])
                    }
                }
            }
        } catch {
            logger.error("a reading could not be stored", metadata: ["error": "\(error)"])
        }
        // Counted once the batch is in the model, so a confirmation never sees the count before the value.
        points.withLock { points in
            for reading in readings where reading.point < points.count { points[reading.point].readings += 1 }
        }
    }

    private func apply(_ reading: FieldReading, to batch: inout ValueBatch, state last: inout PointState) throws(ServerError) {
        let binding = bindings[reading.point]
        guard let field = reading.value else {
            // The source failed: quality only; the value and t stay those of the last good reading.
            guard last.good || last.value == nil else { return }
            if let quality = binding.quality { try batch.set(quality, .quality(Self.failed(binding.point.onFailure))) }
            last.good = false
            return
        }
        switch binding.point.transform.apply(field, to: binding.value.type) {
        case .success(let value):
            if last.good, let previous = last.value, Self.within(binding.point.deadband, previous, value) { return }
            try batch.set(binding.value, value)
            if let quality = binding.quality { try batch.set(quality, .quality(.good)) }
            if let time = binding.time { try batch.set(time, .timestamp(reading.time)) }
            last.value = value
            last.good = true
        case .failure(let failure):
            var quality = Quality(validity: .invalid)
            quality.insert(failure == .outOfRange ? .outOfRange : .inconsistent)
            if let handle = binding.quality { try batch.set(handle, .quality(quality)) }
            if let time = binding.time { try batch.set(time, .timestamp(reading.time)) }
            last.good = false
        }
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
