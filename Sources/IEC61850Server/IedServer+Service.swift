import ServiceLifecycle

extension IedServer: Service {
    /// Runs the server as a ServiceLifecycle service: starts it, serves until graceful shutdown
    /// (SIGTERM/SIGINT in a `ServiceGroup`) or cancellation, then stops it and closes every association.
    ///
    /// ```swift
    /// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    /// try await group.run()
    /// ```
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await stop()
    }
}
