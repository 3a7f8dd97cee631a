import Foundation
import IEC61850Model
import IEC61850Services

extension GatewayRuntime {
    /// Installs a control handler on every point with a control route that one of `adapters` carries: the
    /// command goes to the field once (never retried), and succeeds when the device says so or, when it
    /// says nothing, when the point's status reaches the commanded value within the route's confirmation
    /// time. Returns the references of the routed objects no adapter carries.
    @discardableResult
    public func routeControls(through adapters: [any FieldAdapter]) throws(ServerError) -> [String] {
        var unrouted: [String] = []
        for (index, binding) in bindings.enumerated() {
            guard let route = binding.point.control else { continue }
            guard let adapter = adapters.first(where: { $0.carries(route) }) else {
                unrouted.append(binding.dataObject)
                continue
            }
            try services.setControlHandler(for: binding.dataObject) { [self] action in
                guard !action.test else { return .success }  // a test command changes nothing in the process
                return .waiting { await self.execute(action, point: index, route: route, through: adapter) }
            }
        }
        return unrouted
    }

    /// Sends a command over point `point`'s route, then waits for its confirmation.
    func execute(_ action: ControlAction, point: Int, route: GatewayConfiguration.ControlRoute, through adapter: any FieldAdapter) async -> ControlResult {
        let binding = bindings[point]
        let value = Self.fieldValue(for: action.value, map: route.valueMap)
        let timeout = Duration.milliseconds(route.confirmMilliseconds)
        let before = readings(of: point)
        do {
            let answer = try await adapter.send(FieldCommand(route: route, value: value, action: action, timeout: timeout))
            if let pulse = route.pulseMilliseconds {
                // The pulse is in the field now: it ends on time even if the command's answer went out
                // meanwhile (an unstructured task is not cancelled with the handler).
                let release = FieldCommand(route: route, value: Self.released(value), action: action, timeout: timeout)
                _ = try await Task.detached {
                    try? await Task.sleep(for: .milliseconds(pulse))
                    return try await adapter.send(release)
                }.value
            }
            if let answer { return answer }
        } catch is CancellationError {
            // The command already ended (its answer went out): the queued write was dropped, never sent late.
            logger.warning("a field write outlived its command; dropped, not sent", metadata: ["object": "\(binding.dataObject)"])
            record?([
                GatewayEvent(
                    timeMilliseconds: currentMilliseconds(), kind: .command, reference: binding.dataObject, value: action.value.eventText,
                    client: action.connection.peerAddress, controlNumber: Int(action.controlNumber), result: "dropped",
                    detail: "the field write was still queued when the command ended; not sent")
            ])
            return .failure(.timeLimitOver)
        } catch {
            logger.warning("control not delivered", metadata: ["object": "\(binding.dataObject)", "adapter": "\(adapter.name)", "error": "\(error)"])
            return .failure(.abortionByCommunicationLoss)
        }
        return await confirm(action, point: point, route: route, after: before)
    }

    /// Waits until a reading taken after the command (more than `after` readings) shows the commanded
    /// value (success), or confirm-ms passes (time-limit-over): a stale status never confirms a command.
    func confirm(_ action: ControlAction, point: Int, route: GatewayConfiguration.ControlRoute, after: Int) async -> ControlResult {
        let binding = bindings[point]
        guard route.confirmMilliseconds > 0, let expected = Self.expectedStatus(action.value, as: binding.value.type) else { return .success }
        func confirmed() -> Bool { readings(of: point) > after && services.value(of: binding.value) == expected }
        let deadline = ContinuousClock.now + .milliseconds(route.confirmMilliseconds)
        while ContinuousClock.now < deadline {
            if confirmed() { return .success }
            // Cancelled (the command's answer went out): no one waits for the confirmation any more.
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return .failure(.timeLimitOver) }
        }
        if confirmed() { return .success }
        logger.warning("control not confirmed in time", metadata: ["object": "\(binding.dataObject)", "confirmMs": "\(route.confirmMilliseconds)"])
        return .failure(.timeLimitOver)
    }

    /// The value written for a commanded ctlVal: through the route's map, or the value itself (booleans as 1/0).
    static func fieldValue(for value: DataValue, map: [String: String]) -> FieldValue {
        let key: String
        let plain: FieldValue
        switch value {
        case .boolean(let flag): (key, plain) = (flag ? "true" : "false", .integer(flag ? 1 : 0))
        case .integer(let number): (key, plain) = (String(number), .integer(number))
        case .unsigned(let number): (key, plain) = (String(number), .unsigned(number))
        case .float32(let number): (key, plain) = ("\(number)", .double(Double(number)))
        case .float64(let number): (key, plain) = ("\(number)", .double(number))
        default: (key, plain) = ("\(value)", .string("\(value)"))
        }
        return map[key].map(PointTransform.parse) ?? plain
    }

    /// The value that ends a pulse: a coil or register back to 0.
    static func released(_ value: FieldValue) -> FieldValue {
        if case .bool(let flag) = value { return .bool(!flag) }
        return .integer(0)
    }

    /// The status a successful command leads to: SPC stVal = ctlVal, DPC on/off, integers and floats as sent.
    static func expectedStatus(_ value: DataValue, as type: BasicType) -> DataValue? {
        switch (value, type) {
        case (.boolean(let on), .dbpos): .integer(on ? 2 : 1)
        case (.boolean, .boolean): value
        case (.integer(let number), .float32): .float32(Float(number))
        case (.float32, .float32), (.integer, .int8), (.integer, .int16), (.integer, .int32), (.integer, .int64), (.integer, .enumerated): value
        default: nil
        }
    }
}
