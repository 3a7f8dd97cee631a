import IEC61850Model

extension IedServicesProviding {
    /// The controllable data objects of the model (`GenericIO/GGIO1.SPCSO1`).
    public var controllableObjects: [String] { services.control.objects.map(\.reference) }

    /// Installs the handlers of one controllable object (nil removes them: its commands are then
    /// refused with AddCause not-supported).
    ///
    /// ```swift
    /// try server.setControlHandlers(for: "GenericIO/GGIO1.SPCSO1", ControlHandlers(
    ///     check: { action in action.interlockCheck && interlocked ? .refuse(.blockedByInterlocking) : .accept },
    ///     control: { action in
    ///         guard !action.test else { return .success }  // a test command changes nothing
    ///         return .waiting { await relay.set(action.value == .boolean(true)) ? .success : .failure(.blockedByProcess) }
    ///     }))
    /// ```
    public func setControlHandlers(for reference: String, _ handlers: ControlHandlers?) throws(ServerError) {
        guard let index = services.control.index(of: reference) else { throw .notControllable(reference) }
        services.control.setHandlers(handlers, for: index)
    }

    /// Installs only the control (execution) handler of an object.
    public func setControlHandler(for reference: String, _ control: @escaping @Sendable (ControlAction) -> ControlResult) throws(ServerError) {
        var handlers = services.control.index(of: reference).flatMap { services.control.handlers(for: $0) } ?? ControlHandlers()
        handlers.control = control
        try setControlHandlers(for: reference, handlers)
    }

    /// The common status policy, off by default: after a successful command that is not a test, stVal
    /// (DPC: on/off; APC: mxVal) follows ctlVal, q becomes good, t now, and origin and ctlNum are the
    /// command's. Reports on those attributes follow as for any update.
    public var statusFollowsControl: Bool {
        get { services.control.statusFollowsControl.load(ordering: .relaxed) }
        nonmutating set { services.control.statusFollowsControl.store(newValue, ordering: .relaxed) }
    }

    /// While set, every select and operate of every object is refused with this AddCause before any other
    /// check, and no handler runs (nil, the default: commands are served). A hot-standby gateway sets
    /// blocked-by-mode: its peer is the one that executes. Commands already executing are not stopped.
    public var commandsRefused: AddCause? {
        get { AddCause(rawValue: services.control.refusingAll.load(ordering: .acquiring)) }
        nonmutating set { services.control.refusingAll.store(newValue?.rawValue ?? -1, ordering: .releasing) }
    }

    /// Installs the observer of associations (accepted, refused, ended) and of every control command's
    /// outcome, for an audit trail such as the gateway's event log (nil removes it). It is called on
    /// the server's threads: keep it short (queue the event).
    public func setEventObserver(_ observer: (@Sendable (ServerEvent) -> Void)?) {
        services.events.set(observer)
    }

    /// An IED simulator: every controllable object without handlers accepts its commands and executes
    /// them after `delay`, and the status follows. For commissioning before the plant exists.
    public func simulateControls(delay: Duration = .milliseconds(100)) {
        statusFollowsControl = true
        for index in services.control.objects.indices where services.control.handlers(for: index) == nil {
            services.control.setHandlers(ControlHandlers(control: Self.simulated(delay: delay)), for: index)
        }
    }

    /// A simulated execution: after `delay` (none: at once), success, or failure with `cause`.
    public static func simulated(delay: Duration, failing cause: AddCause? = nil) -> @Sendable (ControlAction) -> ControlResult {
        let outcome: ControlResult = cause.map(ControlResult.failure) ?? .success
        guard delay > .zero else { return { _ in outcome } }
        return { _ in
            .waiting {
                try? await Task.sleep(for: delay)
                return outcome
            }
        }
    }
}
