import Foundation
import IEC61850Model
import IEC61850Services
import Synchronization

/// Keeps the diagnostics logical device (``DiagnosticsDevice``) current: every half second it reads the
/// field links and writes, in one batch and only what changed, each LCCH's ChLiv and counters and
/// LPHD1.PhyHealth (Ok while every channel answers and nothing else is wrong, Warning while some do not
/// or `problem` says something, Alarm while none answers).
public final class DiagnosticsPublisher: Sendable {
    struct Status: Equatable {
        var live: Bool
        var received: Int64
        var sent: Int64
    }

    private struct Handles {
        let live: (value: AttributeHandle, quality: AttributeHandle?, time: AttributeHandle?)
        let received: (value: AttributeHandle, time: AttributeHandle?)
        let sent: (value: AttributeHandle, time: AttributeHandle?)
    }

    private let services: IedServices
    private let channels: [String]
    private let handles: [Handles]
    private let health: (value: AttributeHandle, time: AttributeHandle?)
    private let links: @Sendable () -> [FieldLink]
    private let problem: @Sendable () -> String?
    private let last = Mutex<(statuses: [Status?], health: DiagnosticsDevice.Health?)>(([], nil))
    private let running = Mutex(false)

    /// - Parameters:
    ///   - channels: the sources of the LCCHs, in order (``DiagnosticsDevice/channels(of:)``).
    ///   - links: the field links now (a reload may change them; a source without an LCCH is left out).
    ///   - problem: something else wrong with the gateway (the event log failing), or nil.
    public init(
        services: IedServices, channels: [String], links: @escaping @Sendable () -> [FieldLink], problem: @escaping @Sendable () -> String? = { nil }
    ) throws(ServerError) {
        self.services = services
        self.channels = channels
        self.links = links
        self.problem = problem
        let base = "\(DiagnosticsDevice.inst)/"
        handles = try channels.indices.map { index throws(ServerError) in
            let node = "\(base)LCCH\(index + 1)"
            return Handles(
                live: (
                    try services.handle(for: "\(node).ChLiv.stVal"), try? services.handle(for: "\(node).ChLiv.q"), try? services.handle(for: "\(node).ChLiv.t")
                ),
                received: (try services.handle(for: "\(node).RxCnt.stVal"), try? services.handle(for: "\(node).RxCnt.t")),
                sent: (try services.handle(for: "\(node).TxCnt.stVal"), try? services.handle(for: "\(node).TxCnt.t")))
        }
        health = (try services.handle(for: "\(base)LPHD1.PhyHealth.stVal"), try? services.handle(for: "\(base)LPHD1.PhyHealth.t"))
        last.withLock { $0.statuses = Array(repeating: nil, count: channels.count) }
    }

    /// Writes what changed since the last refresh.
    public func refresh(now: Timestamp = .now()) {
        let current = Dictionary(links().map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        let statuses = channels.map { channel in
            current[channel].map { Status(live: $0.up, received: Int64($0.requests + $0.messages), sent: Int64($0.requests + $0.writes)) }
                ?? Status(live: false, received: 0, sent: 0)
        }
        let live = statuses.filter(\.live).count
        let state: DiagnosticsDevice.Health =
            channels.isEmpty
            ? (problem() == nil ? .ok : .warning)
            : live == 0 ? .alarm : (live < channels.count || problem() != nil ? .warning : .ok)
        let (changed, healthChanged) = last.withLock { last -> ([Int], Bool) in
            let changed = statuses.indices.filter { last.statuses[$0] != statuses[$0] }
            for index in changed { last.statuses[index] = statuses[index] }
            defer { last.health = state }
            return (changed, last.health != state)
        }
        guard !changed.isEmpty || healthChanged else { return }
        do {
            try services.batch { batch in
                for index in changed {
                    let status = statuses[index], handles = self.handles[index]
                    try batch.set(handles.live.value, .boolean(status.live))
                    if let quality = handles.live.quality { try batch.set(quality, .quality(.good)) }
                    if let time = handles.live.time { try batch.set(time, .timestamp(now)) }
                    try batch.set(handles.received.value, .integer(min(status.received, Int64(Int32.max))))
                    if let time = handles.received.time { try batch.set(time, .timestamp(now)) }
                    try batch.set(handles.sent.value, .integer(min(status.sent, Int64(Int32.max))))
                    if let time = handles.sent.time { try batch.set(time, .timestamp(now)) }
                }
                if healthChanged {
                    try batch.set(health.value, .integer(state.rawValue))
                    if let time = health.time { try batch.set(time, .timestamp(now)) }
                }
            }
        } catch {
            // The handles were resolved against this model: a type mismatch here is a bug of ours.
            assertionFailure("diagnostics: \(error)")
        }
    }

    /// Refreshes every `interval` on a thread of its own until ``stop()``.
    public func start(interval: Duration = .milliseconds(500)) {
        running.withLock { $0 = true }
        let thread = Thread { [self] in
            while running.withLock({ $0 }) {
                refresh()
                Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
            }
        }
        thread.name = "diagnostics"
        thread.start()
    }

    public func stop() { running.withLock { $0 = false } }
}
