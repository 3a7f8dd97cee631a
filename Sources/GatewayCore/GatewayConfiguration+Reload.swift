extension GatewayConfiguration {
    /// The settings a running gateway cannot take over without a restart (the model, the MMS server's
    /// listeners and access rules, the HTTP side, the event log) that differ in `newer`, by their names
    /// in the file (`model`, `server.port`, `http`…). Empty: everything that changed (devices, the
    /// broker, points) applies on reload. Where a setting was written (its line) does not count.
    public func restartOnlyChanges(in newer: GatewayConfiguration) -> [String] {
        var changed: [String] = []
        if scl != newer.scl || ied != newer.ied { changed.append("model") }
        let (old, new) = (server, newer.server)
        if old.port != new.port { changed.append("server.port") }
        if old.bind != new.bind { changed.append("server.bind") }
        if old.passwordEnvironmentVariable != new.passwordEnvironmentVariable { changed.append("server.password-env") }
        if old.maximumAssociations != new.maximumAssociations { changed.append("server.max-associations") }
        if old.maximumAssociationsPerPeer != new.maximumAssociationsPerPeer { changed.append("server.max-associations-per-peer") }
        if old.associationTimeoutMilliseconds != new.associationTimeoutMilliseconds { changed.append("server.association-timeout-ms") }
        if old.tls.map(Self.placeless) != new.tls.map(Self.placeless) { changed.append("server.tls") }
        if old.access.map(Self.placeless) != new.access.map(Self.placeless) { changed.append("server.access") }
        if old.eventLoopThreads != new.eventLoopThreads { changed.append("server.event-loops") }
        if old.vendor != new.vendor || old.modelName != new.modelName || old.revision != new.revision { changed.append("server.identity") }
        if http != newer.http { changed.append("http") }
        if diagnostics != newer.diagnostics { changed.append("diagnostics") }
        if eventLog != newer.eventLog { changed.append("event-log") }
        if files != newer.files { changed.append("files") }
        if redundancy != newer.redundancy { changed.append("redundancy") }
        return changed
    }

    private static let nowhere = Location(file: "", line: 0)

    private static func placeless(_ tls: TLS) -> TLS {
        var tls = tls
        tls.location = nowhere
        return tls
    }

    private static func placeless(_ access: Access) -> Access {
        var access = access
        access.location = nowhere
        for index in access.rules.indices { access.rules[index].line = 0 }
        return access
    }
}
