import IEC61850Model

extension Quality {
    /// How the event log writes a quality: `good`, or the validity and the detail bits set
    /// (`invalid failure`, `questionable failure oldData`).
    public var eventText: String {
        var words: [String] =
            switch validity {
            case .good: ["good"]
            case .invalid: ["invalid"]
            case .questionable: ["questionable"]
            case .reserved: ["reserved"]
            }
        let details: [(Quality, String)] = [
            (.overflow, "overflow"), (.outOfRange, "outOfRange"), (.badReference, "badReference"), (.oscillatory, "oscillatory"),
            (.failure, "failure"), (.oldData, "oldData"), (.inconsistent, "inconsistent"), (.inaccurate, "inaccurate"),
            (.substituted, "substituted"), (.test, "test"), (.operatorBlocked, "operatorBlocked"),
        ]
        for (flag, name) in details where contains(flag) { words.append(name) }
        return words.joined(separator: " ")
    }
}

extension DataValue {
    /// How the event log writes a value: numbers and booleans plainly, strings without quotes.
    public var eventText: String {
        switch self {
        case .string(let text): text
        case .quality(let quality): quality.eventText
        default: description
        }
    }
}

extension GatewayEvent {
    /// The event a server event makes: an association accepted, refused or ended, or a command's outcome.
    public init(_ event: ServerEvent, timeMilliseconds: UInt64 = currentMilliseconds()) {
        switch event {
        case .associated(let connection):
            self.init(timeMilliseconds: timeMilliseconds, kind: .association, reference: "server", client: connection.peerAddress, result: "connected")
        case .refused(let connection, let reason):
            self.init(
                timeMilliseconds: timeMilliseconds, kind: .association, reference: "server", client: connection.peerAddress, result: "refused",
                cause: reason)
        case .authenticationFailed(let connection, let reason):
            self.init(
                timeMilliseconds: timeMilliseconds, kind: .security, reference: "server", client: connection.peerAddress, result: "refused",
                detail: reason)
        case .tlsHandshakeFailed(let connection, let reason, let subject):
            self.init(
                timeMilliseconds: timeMilliseconds, kind: .security, reference: "tls", client: connection.peerAddress, result: "refused",
                detail: subject.map { "\(reason); certificate \($0)" } ?? reason)
        case .accessDenied(let connection, let reason):
            self.init(
                timeMilliseconds: timeMilliseconds, kind: .security, reference: "access", client: connection.peerAddress, result: "refused",
                detail: reason)
        case .disconnected(let connection):
            self.init(timeMilliseconds: timeMilliseconds, kind: .association, reference: "server", client: connection.peerAddress, result: "disconnected")
        case .substitution(let change, let connection, let by):
            self.init(
                timeMilliseconds: timeMilliseconds, kind: .substitution, reference: change.object,
                value: change.values.map(\.eventText).joined(separator: " "), quality: change.quality?.eventText,
                client: connection?.peerAddress ?? by, result: change.enabled ? "substituted" : "released",
                detail: change.identifier.flatMap { $0.isEmpty ? nil : "subID \($0)" })
        case .command(let outcome):
            let identifier = String(decoding: outcome.originIdentifier, as: UTF8.self)
            self.init(
                timeMilliseconds: timeMilliseconds, kind: .command, reference: outcome.object, value: outcome.value?.eventText,
                client: outcome.connection.peerAddress, origin: "\(outcome.originCategory):\(identifier)", controlNumber: Int(outcome.controlNumber),
                result: outcome.cause == nil ? "success" : "failure", cause: outcome.cause.map { "\($0)" },
                detail: outcome.service + (outcome.test ? " (test)" : ""))
        }
    }
}
