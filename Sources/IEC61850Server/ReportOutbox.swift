import IEC61850Services
import NIOCore
import Synchronization

/// The reports waiting for one association, handed over by the reporting engine on whichever thread
/// changed a value, and written on the association's event loop in batches.
///
/// Each report used to be a task of its own, written and flushed alone. Here the first report of a batch
/// enqueues one task, and every report that arrives before the loop runs it joins the batch: a burst of
/// value changes (a Modbus poll, a GI while values move) costs one task and one flush, which is one write
/// system call when the batch fits the socket buffer, rather than one per report. Order is kept: reports
/// are appended under the value store's lock, in the order the blocks made them.
final class ReportOutbox: Sendable {
    private let loop: any EventLoop
    private let pending = Mutex<(reports: [OutgoingReport], scheduled: Bool)>(([], false))
    /// Writes a batch on the loop (and flushes it once).
    private let write: @Sendable ([OutgoingReport]) -> Void

    init(loop: any EventLoop, write: @escaping @Sendable ([OutgoingReport]) -> Void) {
        self.loop = loop
        self.write = write
    }

    /// Queues a report; the first of a batch schedules the batch's write.
    func post(_ report: OutgoingReport) {
        let first = pending.withLock { state in
            state.reports.append(report)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard first else { return }
        loop.execute { self.drain() }
    }

    private func drain() {
        let reports = pending.withLock { state in
            defer { state = ([], false) }
            return state.reports
        }
        write(reports)
    }
}
