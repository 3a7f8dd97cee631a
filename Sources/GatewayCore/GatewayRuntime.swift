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
    /// Per point: the last value written and whether the point is currently good.
    private let last: Mutex<[(value: DataValue?, good: Bool)]>
    /// Per point: how many readings arrived (a confirmation waits for one taken after its command).
    private let readingCounts: Mutex<[Int]>

    public init(bindings: [PointBinding], server: IedServer, logger: Logger) {
        self.bindings = bindings
        self.server = server
        self.logger = logger
        last = Mutex(Array(repeating: (nil, false), count: bindings.count))
        readingCounts = Mutex(Array(repeating: 0, count: bindings.count))
    }

    /// The number of readings a point has had so far.
    func readings(of point: Int) -> Int { readingCounts.withLock { $0[point] } }

    /// Applies one adapter delivery.
    public func apply(_ readings: [FieldReading]) {
        defer {
            readingCounts.withLock { counts in
                for reading in readings where reading.point < counts.count { counts[reading.point] += 1 }
            }
        }
        do {
            try server.batch { batch in
                try last.withLock { last in
                    for reading in readings where reading.point < bindings.count {
                        try apply(reading, to: &batch, last: &last[reading.point])
                    }
                }
            }
        } catch {
            logger.error("a reading could not be stored", metadata: ["error": "\(error)"])
        }
    }

    private func apply(_ reading: FieldReading, to batch: inout ValueBatch, last: inout (value: DataValue?, good: Bool)) throws(ServerError) {
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
            last = (value, true)
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
