import Dispatch
import Synchronization

/// Runs ReadJournal queries off the event loops, one at a time, taking the associations in turn: one
/// that queues many queries (up to its negotiated outstanding requests) delays another's by at most one
/// query, not by all of its own.
package final class JournalScheduler: Sendable {
    package typealias Job = @Sendable () -> Void

    private struct State {
        var jobs: [UInt64: [Job]] = [:]
        /// Associations with queued jobs, in the order they are served next.
        var turn: [UInt64] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "iec61850.journal")

    /// Queues a job of an association; it runs after at most one job of each other waiting association.
    package func submit(association: UInt64, _ job: @escaping Job) {
        let start = state.withLock { state -> Bool in
            if state.jobs[association] == nil { state.turn.append(association) }
            state.jobs[association, default: []].append(job)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    /// Drops the queued jobs of an association that ended: nobody would receive their answers.
    package func cancel(association: UInt64) {
        state.withLock { state in
            guard state.jobs.removeValue(forKey: association) != nil else { return }
            state.turn.removeAll { $0 == association }
        }
    }

    private func drain() {
        while let job = next() { job() }
    }

    /// The first job of the association whose turn it is (which then goes to the back of the line).
    private func next() -> Job? {
        state.withLock { state -> Job? in
            guard !state.turn.isEmpty else {
                state.draining = false
                return nil
            }
            let association = state.turn.removeFirst()
            var waiting = state.jobs[association] ?? []
            guard !waiting.isEmpty else { return nil }
            let job = waiting.removeFirst()
            if waiting.isEmpty {
                state.jobs[association] = nil
            } else {
                state.jobs[association] = waiting
                state.turn.append(association)
            }
            return job
        }
    }

    package init() {}
}
