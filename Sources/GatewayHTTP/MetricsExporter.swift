import EventLog
import GatewayCore
import IEC61850Model
import Metrics
import Prometheus
import Synchronization

/// The Prometheus side of swift-metrics: the registry every metric of the process lands in, and the
/// values that are read when scraped rather than counted as they happen (points by validity,
/// associations, the event log's queue).
public final class MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let pointsByValidity: [(Quality.Validity, Prometheus.Gauge)]
    private let associations: Prometheus.Gauge
    private let eventLogQueued: Prometheus.Gauge
    private let eventLogFailing: Prometheus.Gauge
    private let eventLogDropped: Prometheus.Counter
    private let eventLogCommitted: Prometheus.Counter
    private let roles: [(GatewayRole, Prometheus.Gauge)]
    /// The storage's totals at the last scrape (the counters move by the difference).
    private let counted = Mutex<(dropped: Int, committed: Int)>((0, 0))

    /// Request and poll durations: from 0.5 ms (a loopback Modbus device) to 5 s (a serial timeout).
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]

    /// Makes the registry and makes it swift-metrics' backend. Once per process, before the server and
    /// the adapters make their metrics.
    public static func bootstrap() -> MetricsExporter {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        MetricsSystem.bootstrap(factory)
        return MetricsExporter(registry: registry)
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        func name(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
        }
        let points = name("gateway_points", "Configured points by the validity of their quality.")
        pointsByValidity = [(Quality.Validity.good, "good"), (.invalid, "invalid"), (.questionable, "questionable"), (.reserved, "reserved")].map {
            validity, label in (validity, registry.makeGauge(descriptor: points, labels: [("validity", label)]))
        }
        associations = registry.makeGauge(descriptor: name("iec61850_associations", "Open MMS associations."))
        eventLogQueued = registry.makeGauge(descriptor: name("gateway_event_log_queued", "Events and log entries waiting to be written."))
        eventLogFailing = registry.makeGauge(descriptor: name("gateway_event_log_failing", "1 while writes to the event log fail."))
        eventLogDropped = registry.makeCounter(
            descriptor: name("gateway_event_log_dropped", unit: "total", "Events and log entries dropped (the queue was full)."))
        eventLogCommitted = registry.makeCounter(descriptor: name("gateway_event_log_committed", unit: "total", "Events and log entries written."))
        let role = name("gateway_role", "1 for the role this node has in a redundant pair (a gateway without a pair is active).")
        roles = GatewayRole.allCases.map { ($0, registry.makeGauge(descriptor: role, labels: [("role", $0.rawValue)])) }
    }

    /// The text exposition format, with the scrape-time values brought up to date first.
    func scrape(_ operations: GatewayOperations) -> [UInt8] {
        let counts = operations.field.runtime?.validityCounts() ?? [:]
        for (validity, gauge) in pointsByValidity { gauge.set(Double(counts[validity] ?? 0)) }
        associations.set(Double(operations.server.openAssociations))
        let role = operations.role
        for (each, gauge) in roles { gauge.set(each == role ? 1.0 : 0.0) }
        if let status = operations.storage?.status {
            eventLogQueued.set(Double(status.queued))
            eventLogFailing.set(status.failure == nil ? 0.0 : 1.0)
            let (dropped, committed) = counted.withLock { last in
                defer { last = (status.dropped, status.committed) }
                return (status.dropped - last.dropped, status.committed - last.committed)
            }
            if dropped > 0 { eventLogDropped.increment(by: Int64(dropped)) }
            if committed > 0 { eventLogCommitted.increment(by: Int64(committed)) }
        }
        return registry.emitToBuffer()
    }
}
