import CoreMetrics
import MMS

/// The server's counters as swift-metrics metrics: MMS requests by service, reports sent and dropped.
/// Made once per server, so a request costs one counter increment (a no-op until the application
/// bootstraps a metrics backend, such as the gateway's Prometheus exporter).
struct ServerMetrics: Sendable {
    /// By confirmed service number (an index on the request path, no hashing); the others count as unsupported.
    private let requests: [Counter]
    private let otherRequests: Counter
    let reportsSent: Counter
    /// Reports not sent because their association was closing or did not read what it was sent.
    let reportsDropped: Counter

    /// The confirmed services the server answers: number, and name as the `service` label gives it.
    static let services: [(UInt32, String)] = [
        (0, "status"), (1, "getNameList"), (2, "identify"), (4, "read"), (5, "write"), (6, "getVariableAccessAttributes"),
        (11, "defineNamedVariableList"), (12, "getNamedVariableListAttributes"), (13, "deleteNamedVariableList"), (65, "readJournal"),
    ]

    init() {
        let other = Counter(label: "iec61850_mms_requests_total", dimensions: [("service", "unsupported")])
        var requests = [Counter](repeating: other, count: Int(Self.services.map(\.0).max()!) + 1)
        for (number, service) in Self.services {
            requests[Int(number)] = Counter(label: "iec61850_mms_requests_total", dimensions: [("service", service)])
        }
        self.requests = requests
        otherRequests = other
        reportsSent = Counter(label: "iec61850_reports_sent_total")
        reportsDropped = Counter(label: "iec61850_reports_dropped_total")
    }

    /// Counts one confirmed request.
    func count(_ request: ConfirmedServiceRequest) {
        let number = Int(request.serviceNumber)
        guard case .unsupported = request else { return (number < requests.count ? requests[number] : otherRequests).increment() }
        otherRequests.increment()
    }
}
