import Foundation

/// A thread of its own for blocking C calls, run until `stop()`: the body loops while `isRunning`.
///
/// @unchecked Sendable: `running` is behind `lock`; `thread` is set by `start` before the body runs.
final class WorkerThread: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Starts the body on a new thread; nothing when it runs already (two threads would share the
    /// caller's connection).
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !running else { return }
        running = true
        let thread = Thread(block: body)
        thread.name = name
        self.thread = thread
        thread.start()
    }

    /// Asks the body to end and waits until it has.
    func stop() {
        lock.lock()
        running = false
        lock.unlock()
        let thread = lock.withLock { self.thread }
        while thread?.isFinished == false { usleep(5_000) }
    }
}
