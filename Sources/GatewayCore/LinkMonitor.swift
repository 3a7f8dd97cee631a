import CoreMetrics
import IEC61850Model
import Synchronization

/// Keeps one field source's link state and counters (a Modbus device, an MQTT broker) for the operations
/// side, and reports them as metrics labelled `device`: `gateway_link_up`, `gateway_request_duration_seconds`,
/// `gateway_read_errors_total`, `gateway_write_errors_total`. An adapter owns one per source and tells it
/// what happened; everything here is cheap enough for every request.
public final class LinkMonitor: Sendable {
    private let state: Mutex<FieldLink>
    private let upGauge: Gauge
    private let requestTimer: CoreMetrics.Timer
    private let readErrorCounter: Counter
    private let writeErrorCounter: Counter

    /// - Parameters:
    ///   - source: as the event log names it (`modbus meter1`, `mqtt broker.plant:1883`).
    ///   - device: the metrics' `device` label (`meter1`, `broker.plant:1883`).
    ///   - kind: the protocol (`modbus`, `mqtt`).
    ///   - address: where it is (`10.0.0.5:502`, `/dev/ttyUSB0 unit 3`).
    public init(source: String, device: String, kind: String, address: String) {
        state = Mutex(FieldLink(source: source, up: false, device: device, kind: kind, address: address))
        let labels = [("device", device), ("protocol", kind)]
        upGauge = Gauge(label: "gateway_link_up", dimensions: labels)
        requestTimer = CoreMetrics.Timer(label: "gateway_request_duration_seconds", dimensions: labels, preferredDisplayUnit: .seconds)
        readErrorCounter = Counter(label: "gateway_read_errors_total", dimensions: labels)
        writeErrorCounter = Counter(label: "gateway_write_errors_total", dimensions: labels)
        upGauge.record(0)
    }

    /// The link as it is now.
    public var link: FieldLink { state.withLock { $0 } }

    /// A request answered (a Modbus read, an MQTT connection made) in `roundTrip`.
    public func answered(roundTrip: Duration? = nil, at now: UInt64 = currentMilliseconds()) {
        if let roundTrip { requestTimer.recordNanoseconds(roundTrip.nanoseconds) }
        let changed = state.withLock { link in
            let changed = !link.up
            if changed { link.sinceMilliseconds = now }
            link.up = true
            link.requests += 1
            link.lastGoodMilliseconds = now
            if let roundTrip { link.roundTripMilliseconds = Double(roundTrip.nanoseconds) / 1_000_000 }
            return changed
        }
        if changed { upGauge.record(1) }
    }

    /// A message arrived without a request of ours (an MQTT publication): the link is up, no round trip.
    public func received(at now: UInt64 = currentMilliseconds()) {
        state.withLock { link in
            link.messages += 1
            link.lastGoodMilliseconds = now
        }
    }

    /// A read failed, or the connection broke: the link is down.
    public func failed(_ error: String, at now: UInt64 = currentMilliseconds()) {
        readErrorCounter.increment()
        down(error, at: now) { $0.readErrors += 1 }
    }

    /// The link went down without a failed read (a broker closed the connection).
    public func disconnected(_ reason: String, at now: UInt64 = currentMilliseconds()) {
        down(reason, at: now) { _ in }
    }

    private func down(_ error: String, at now: UInt64, count: (inout FieldLink) -> Void) {
        let changed = state.withLock { link in
            let changed = link.up || link.sinceMilliseconds == nil
            if changed { link.sinceMilliseconds = now }
            link.up = false
            count(&link)
            link.lastError = error
            link.lastErrorMilliseconds = now
            return changed
        }
        if changed { upGauge.record(0) }
    }

    /// A write (a command to the field) succeeded.
    public func wrote() { state.withLock { $0.writes += 1 } }

    /// A write failed.
    public func writeFailed(_ error: String, at now: UInt64 = currentMilliseconds()) {
        writeErrorCounter.increment()
        state.withLock { link in
            link.writeErrors += 1
            link.lastError = error
            link.lastErrorMilliseconds = now
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
