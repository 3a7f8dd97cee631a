import Foundation
import IEC61850Model
import Logging
import Synchronization

/// Runs the control model of every controllable object: the state machines under one short lock, the
/// application's handlers, and the common status policy (stVal follows ctlVal) when switched on.
package final class ControlService: Sendable {
    package let objects: [ControlObject]
    private let byReference: [String: Int]
    private let machines: Mutex<[ControlStateMachine]>
    private let handlers = Mutex<[Int: ControlHandlers]>([:])
    /// When set, a successful non-test command updates the object's status (stVal, q, t, origin, ctlNum).
    package let statusFollowsControl = Atomic<Bool>(false)
    /// The AddCause every command is refused with while set (-1: none), before any other check.
    package let refusingAll = Atomic<Int64>(-1)
    private let timers = Mutex<(any TimerScheduler)?>(nil)
    /// The sleeping tasks of time-activated operates, by object.
    private let waitingOperates = Mutex<[Int: Task<Void, Never>]>([:])
    private let store: ValueStore
    private let reporting: ReportingEngine
    private let logger: Logger
    private let defaultTimeout: Duration
    /// How far ahead a time-activated operate's operTm may lie.
    private let maximumOperateDelay: Duration
    private let events: ServerEventObservers

    /// libIEC61850's select timeout when the object has no sboTimeout (ms).
    package static let defaultSelectTimeout: UInt64 = 15_000

    package init(
        model: IedModel, store: ValueStore, reporting: ReportingEngine, timeout: Duration,
        maximumOperateDelay: Duration = .seconds(86_400), events: ServerEventObservers, logger: Logger,
        monotonicNanoseconds: @escaping @Sendable () -> UInt64 = ServiceClock.monotonicNanoseconds
    ) {
        self.monotonicNanoseconds = monotonicNanoseconds
        defaultTimeout = timeout
        self.maximumOperateDelay = maximumOperateDelay
        self.events = events
        objects = ControlObject.all(in: model)
        byReference = Dictionary(objects.enumerated().map { ($1.reference, $0) }, uniquingKeysWith: { first, _ in first })
        machines = Mutex(Array(repeating: ControlStateMachine(), count: objects.count))
        self.store = store
        self.reporting = reporting
        self.logger = logger
    }

    package func index(of reference: String) -> Int? { byReference[reference] }

    package func setHandlers(_ new: ControlHandlers?, for index: Int) {
        handlers.withLock { $0[index] = new }
    }

    package func handlers(for index: Int) -> ControlHandlers? { handlers.withLock { $0[index] } }

    /// The association that holds object `index`'s selection now (stSeld), if any.
    package func selection(of index: Int) -> UInt64? { machines.withLock { $0[index].selectedBy } }

    /// Runs the selection and execution timers on `scheduler` (nil: none run until the next attach).
    package func attach(_ scheduler: (any TimerScheduler)?) { timers.withLock { $0 = scheduler } }

    /// The monotonic time (ns) selections and executions are timed with: the system's, or a test's clock.
    private let monotonicNanoseconds: @Sendable () -> UInt64

    package func now() -> UInt64 { monotonicNanoseconds() }

    // MARK: Object settings, read from the model's values each time (a client may change them)

    package func model(of object: ControlObject) -> ControlModel {
        guard let handle = object.ctlModel, case .integer(let raw) = store[handle.slot] else { return .directWithNormalSecurity }
        return ControlModel(rawValue: raw) ?? .statusOnly
    }

    package func selectTimeout(of object: ControlObject) -> UInt64 {
        guard let handle = object.sboTimeout, case .unsigned(let milliseconds) = store[handle.slot], milliseconds > 0 else {
            return Self.defaultSelectTimeout * 1_000_000
        }
        return milliseconds * 1_000_000
    }

    package func operateTimeout(of object: ControlObject) -> Duration {
        guard let handle = object.operateTimeout, case .unsigned(let milliseconds) = store[handle.slot], milliseconds > 0 else { return defaultTimeout }
        return .milliseconds(Int64(clamping: milliseconds))
    }

    package func operateMany(_ object: ControlObject) -> Bool {
        guard let handle = object.sboClass, case .integer(1) = store[handle.slot] else { return false }
        return true
    }

    // MARK: Selection

    /// Model 2: a read of SBO. Whether the client now holds the selection.
    package func selectByRead(_ index: Int, client: UInt64) -> Bool {
        let object = objects[index]
        guard model(of: object) == .sboWithNormalSecurity, refusingAll.load(ordering: .acquiring) < 0 else { return false }
        let timeout = selectTimeout(of: object)
        let selected = machines.withLock { $0[index].selectByRead(client, timeout: timeout, now: now()) }
        if selected { scheduleExpiry(index, after: timeout) }
        return selected
    }

    /// Expires selections whose time ran out (and so clears stSeld) once the select timeout has passed.
    private func scheduleExpiry(_ index: Int, after timeout: UInt64) {
        guard let scheduler = timers.withLock({ $0 }) else { return }
        scheduler.schedule(in: timeout &+ 1_000_000) { [weak self] in
            guard let self else { return }
            _ = self.machines.withLock { $0[index].timerFired(now: now()) }
        }
    }

    /// Cancels the sleep of object `index`'s time-activated operate, if one waits: it holds its association's
    /// senders, and would otherwise do so until its operTm.
    private func stopWaiting(_ index: Int) {
        waitingOperates.withLock { $0.removeValue(forKey: index) }?.cancel()
    }

    /// The association ended: its selections go, and its time-activated operates still waiting are
    /// aborted (recorded with AddCause abortion-by-communication-loss).
    package func associationClosed(_ connection: ClientConnection) {
        let aborted = machines.withLock { machines in
            machines.indices.compactMap { index in machines[index].associationClosed(connection.id).map { (index, $0) } }
        }
        for (index, parameters) in aborted {
            stopWaiting(index)
            logger.notice("time-activated operate aborted: its association ended", metadata: ["object": "\(objects[index].reference)"])
            events.notify(
                .command(
                    CommandOutcome(
                        object: objects[index].reference, service: ControlRequest.Service.operate.rawValue, value: parameters.value,
                        originCategory: parameters.originCategory, originIdentifier: parameters.originIdentifier,
                        controlNumber: parameters.controlNumber, test: parameters.test, connection: connection, cause: .abortionByCommunicationLoss)))
        }
    }

    // MARK: Commands

    /// What to answer a control write now.
    package enum Answer {
        /// The write response is positive now.
        case accepted
        /// LastApplError, then a negative write response (object-access-denied, or temporarily-unavailable
        /// when `busy`).
        case refused(busy: Bool, LastApplError)
        /// The response comes later (direct or SBO with normal security: after the execution).
        case deferred
    }

    /// Handles a write of Oper, SBOw or Cancel; `command` is nil when the written structure could not be
    /// decoded (refused with inconsistent-parameters). The responder's outputs come later, in order. Not
    /// `allowed` (the association's access policy refuses it), it is refused with AddCause
    /// no-access-authority and changes nothing.
    package func handle(
        _ command: ControlRequest?, service: ControlRequest.Service, object index: Int, connection: ClientConnection, allowed: Bool = true,
        responder: ControlResponder
    ) -> Answer {
        let answer =
            allowed
            ? dispatch(command, service: service, object: index, connection: connection, responder: responder)
            : .refused(busy: false, lastApplError(index, service, command, .noAccessAuthority))
        // An operate that is accepted or deferred tells its outcome when it finishes.
        switch answer {
        case .refused(_, let error):
            notify(objects[index], service, command, connection, cause: error.cause)
        case .accepted where service != .operate:
            notify(objects[index], service, command, connection, cause: nil)
        default:
            break
        }
        return answer
    }

    private func notify(
        _ object: ControlObject, _ service: ControlRequest.Service, _ command: ControlRequest?, _ connection: ClientConnection, cause: AddCause?
    ) {
        events.notify(
            .command(
                CommandOutcome(
                    object: object.reference, service: service.rawValue, value: command?.parameters.value,
                    originCategory: command?.parameters.originCategory ?? 0, originIdentifier: command?.parameters.originIdentifier ?? [],
                    controlNumber: command?.parameters.controlNumber ?? 0, test: command?.parameters.test ?? false, connection: connection, cause: cause)))
    }

    private func dispatch(
        _ command: ControlRequest?, service: ControlRequest.Service, object index: Int, connection: ClientConnection, responder: ControlResponder
    ) -> Answer {
        let object = objects[index]
        let model = model(of: object)
        let client = connection.id
        guard model != .statusOnly else {
            return .refused(busy: false, lastApplError(index, service, nil, .notSupported))
        }
        guard let command else {
            return .refused(busy: false, lastApplError(index, service, nil, .inconsistentParameters))
        }
        let action = ControlAction(
            object: object.reference, value: command.parameters.value, test: command.parameters.test,
            originCategory: command.parameters.originCategory, originIdentifier: command.parameters.originIdentifier,
            controlNumber: command.parameters.controlNumber, interlockCheck: command.parameters.check & 0b10 != 0,
            synchroCheck: command.parameters.check & 0b01 != 0, operateTime: command.operateTime, connection: connection, model: model)
        let now = now()
        switch service {
        case .cancel:
            do throws(ControlStateMachine.Refusal) {
                try machines.withLock { machines throws(ControlStateMachine.Refusal) in try machines[index].cancel(client, now: now) }
                stopWaiting(index)
                return .accepted
            } catch {
                return refusal(error, index, service, command)
            }
        case .selectWithValue:
            guard model == .sboWithEnhancedSecurity else {
                return .refused(busy: false, lastApplError(index, service, command, .notSupported))
            }
            do throws(ControlStateMachine.Refusal) {
                try machines.withLock { machines throws(ControlStateMachine.Refusal) in try machines[index].canSelect(client, now: now) }
                if let cause = blockingCause(object, action, handlers: handlers(for: index)) {
                    return .refused(busy: false, lastApplError(index, service, command, cause))
                }
                let timeout = selectTimeout(of: object)
                machines.withLock { $0[index].select(client, parameters: command.parameters, timeout: timeout, now: now) }
                scheduleExpiry(index, after: timeout)
                return .accepted
            } catch {
                return refusal(error, index, service, command)
            }
        case .operate:
            // Time-activated: an operTm in the future is answered now and executed then (a Cancel may abort it).
            let delay = command.operateTime.map { Int64($0.millisecondsSinceEpoch) - Int64(Timestamp.now().millisecondsSinceEpoch) } ?? 0
            let waiting = delay > 0
            // A horizon: an operTm years ahead would hold the object (and a task) for as long.
            if delay > maximumOperateDelay.components.seconds * 1000 {
                return .refused(busy: false, lastApplError(index, service, command, .inconsistentParameters))
            }
            let activation: UInt64
            do throws(ControlStateMachine.Refusal) {
                activation = try machines.withLock { machines throws(ControlStateMachine.Refusal) in
                    try machines[index].beginOperate(client, parameters: command.parameters, model: model, now: now, waiting: waiting)
                    return machines[index].activation
                }
            } catch {
                return refusal(error, index, service, command)
            }
            let installed = handlers(for: index)
            if let cause = blockingCause(object, action, handlers: installed) ?? (installed?.control == nil ? .notSupported : nil) {
                endOperate(index, object, model)
                return .refused(busy: false, lastApplError(index, service, command, cause))
            }
            let enhanced = model.isEnhanced
            let timeout = operateTimeout(of: object)
            let finish: @Sendable (ControlResult) -> Void = { [self] result in
                let follows = result.isSuccess && !action.test && statusFollowsControl.load(ordering: .relaxed)
                endOperate(index, object, model)
                var failure: LastApplError?
                if case .failure(let cause) = result { failure = lastApplError(index, service, command, cause, error: 1) }
                notify(object, service, command, connection, cause: failure?.cause)
                if enhanced || waiting {
                    if follows { follow(object, action) }  // the status is new by the time CommandTermination says done
                    responder.terminate(failure)
                } else {
                    if let failure { responder.lastApplError(failure) }
                    responder.respondLater(failure != nil)
                    // After the response: a report on the new status must not overtake the write response
                    // (the libIEC61850 client hangs when a report arrives while it waits for an answer).
                    if follows { follow(object, action) }
                }
            }
            if waiting {
                let sleeper = Task { [self] in
                    try? await Task.sleep(for: .milliseconds(delay))
                    guard machines.withLock({ $0[index].activate(activation) }) else { return }  // cancelled meanwhile
                    _ = waitingOperates.withLock { $0.removeValue(forKey: index) }
                    run(action, installed, timeout: timeout, finish)
                }
                waitingOperates.withLock { $0[index] = sleeper }
            } else {
                run(action, installed, timeout: timeout, finish)
            }
            return enhanced || waiting ? .accepted : .deferred
        }
    }

    /// Runs wait-for-execution and control. A quick control handler answers on the spot (no thread
    /// switch); one that returns `.waiting`, or a wait-for-execution handler, is awaited in a task.
    private func run(_ action: ControlAction, _ handlers: ControlHandlers?, timeout: Duration, _ finish: @escaping @Sendable (ControlResult) -> Void) {
        if let wait = handlers?.waitForExecution {
            let control = handlers?.control
            awaitResult(
                {
                    if case .refuse(let cause) = await wait(action) { return .failure(cause) }
                    return control?(action) ?? .failure(.notSupported)
                }, timeout: timeout, finish)
            return
        }
        let result = handlers?.control?(action) ?? .failure(.notSupported)
        if case .waiting(let work) = result {
            awaitResult(work, timeout: timeout, finish)
        } else {
            finish(result)
        }
    }

    /// Awaits `work` (and any `.waiting` it answers in turn) within `timeout`; past it the command fails
    /// with time-limit-over and the handler's task is cancelled: whatever it has not done yet (a queued
    /// field write) must not happen after the client was told the command failed.
    private func awaitResult(_ work: @escaping @Sendable () async -> ControlResult, timeout: Duration, _ finish: @escaping @Sendable (ControlResult) -> Void) {
        let decision = Decision()
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let timer = timers.withLock { $0 }?.schedule(in: UInt64(clamping: nanoseconds)) {
            if decision.claim() {
                finish(.failure(.timeLimitOver))
                decision.cancelWork()
            }
        }
        decision.started(
            Task {
                var result = await work()
                while case .waiting(let more) = result, !Task.isCancelled { result = await more() }
                if decision.claim() {
                    timer?.cancel()
                    finish(result)
                }
            })
    }

    /// Lets exactly one of the handler and the timeout decide a command's outcome, and lets the timeout
    /// cancel the handler's task (even one that has not been handed over yet).
    private final class Decision: Sendable {
        private let taken = Mutex(false)
        private let work = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

        func claim() -> Bool {
            taken.withLock { taken in
                defer { taken = true }
                return !taken
            }
        }

        func started(_ task: Task<Void, Never>) {
            let cancelled = work.withLock { work in
                work.task = task
                return work.cancelled
            }
            if cancelled { task.cancel() }
        }

        func cancelWork() {
            let task = work.withLock { work in
                work.cancelled = true
                return work.task
            }
            task?.cancel()
        }
    }

    private func endOperate(_ index: Int, _ object: ControlObject, _ model: ControlModel) {
        let many = operateMany(object)
        let timeout = selectTimeout(of: object)
        machines.withLock { $0[index].endOperate(model: model, operateMany: many, timeout: timeout, now: now()) }
    }

    /// Mode, switching hierarchy, then the application's check: the first cause that blocks the command.
    private func blockingCause(_ object: ControlObject, _ action: ControlAction, handlers: ControlHandlers?) -> AddCause? {
        if let cause = AddCause(rawValue: refusingAll.load(ordering: .acquiring)) { return cause }  // the whole server holds its commands
        if let behaviour = object.behaviour, case .integer(let mode) = store[behaviour.slot] {
            // 1 on, 2 on-blocked, 3 test, 4 test/blocked, 5 off: off takes nothing; test modes take only test commands.
            if mode == 5 || ((mode == 3 || mode == 4) && !action.test) { return .blockedByMode }
        }
        if let local = object.local, case .boolean(true) = store[local.slot], [2, 3, 5, 6].contains(action.originCategory) {
            return .blockedBySwitchingHierarchy  // under local control, station and remote commands are refused
        }
        if let check = handlers?.check, case .refuse(let cause) = check(action) { return cause }
        return nil
    }

    private func refusal(_ error: ControlStateMachine.Refusal, _ index: Int, _ service: ControlRequest.Service, _ command: ControlRequest) -> Answer {
        .refused(busy: error.kind != .accessDenied, lastApplError(index, service, command, error.cause))
    }

    package func lastApplError(
        _ object: Int, _ service: ControlRequest.Service, _ command: ControlRequest?, _ cause: AddCause, error: Int64 = 0
    ) -> LastApplError {
        LastApplError(
            object: object, service: service, error: error, originCategory: command?.parameters.originCategory ?? 0,
            originIdentifier: command?.parameters.originIdentifier ?? [], controlNumber: command?.parameters.controlNumber ?? 0, cause: cause)
    }

    /// The common policy: the status follows the command, with good quality, the time, origin and ctlNum.
    private func follow(_ object: ControlObject, _ action: ControlAction) {
        var changes: [(slot: Int, value: DataValue)] = []
        if let status = object.status, let value = Self.status(action.value, as: status.type) { changes.append((status.slot, value)) }
        if let quality = object.quality { changes.append((quality.slot, .quality(.good))) }
        if let time = object.time { changes.append((time.slot, .timestamp(.now()))) }
        if let category = object.originCategory { changes.append((category.slot, .integer(action.originCategory))) }
        if let identifier = object.originIdentifier { changes.append((identifier.slot, .octets(action.originIdentifier))) }
        if let number = object.controlNumber { changes.append((number.slot, .unsigned(UInt64(action.controlNumber)))) }
        reporting.apply(changes)
    }

    /// ctlVal as the status attribute's type: SPC BOOLEAN, DPC on/off, INC/ENC/ISC integers, APC floats.
    package static func status(_ value: DataValue, as type: BasicType) -> DataValue? {
        switch (value, type) {
        case (.boolean(let on), .dbpos): .integer(on ? 2 : 1)
        case (.boolean, .boolean): value
        case (.integer(let number), .float32): .float32(Float(number))
        case (.float32(let number), .float32): .float32(number)
        case (.integer, _) where value.conforms(to: type): value
        default: nil
        }
    }
}
