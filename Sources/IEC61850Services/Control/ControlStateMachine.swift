import IEC61850Model

/// Selection and execution of one controllable object as a state machine value (PROTOCOL.md §6).
///
/// Inputs are a client's select (by reading SBO or writing SBOw), operate, cancel, the end of an
/// execution, a timer and an association's end, each with the time; refusals come back as values with
/// the DataAccessError kind and AddCause a client sees. Handlers and encoding stay outside.
package struct ControlStateMachine: Sendable, Equatable {
    /// What a command asks, in the terms that must match between SBOw and Oper (IEC 61850-7-2 20.5.2.3).
    package struct Parameters: Sendable, Equatable {
        package var value: DataValue
        package var originCategory: Int64
        package var originIdentifier: [UInt8]
        package var controlNumber: UInt8
        package var test: Bool
        package var check: UInt32

        package init(value: DataValue, originCategory: Int64, originIdentifier: [UInt8], controlNumber: UInt8, test: Bool, check: UInt32) {
            self.value = value
            self.originCategory = originCategory
            self.originIdentifier = originIdentifier
            self.controlNumber = controlNumber
            self.test = test
            self.check = check
        }
    }

    package enum State: Sendable, Equatable {
        case idle
        /// Selected by `owner` until `deadline` (monotonic ns); SBOw keeps its parameters.
        case selected(owner: UInt64, deadline: UInt64, parameters: Parameters?)
        /// A command is executing (its handler runs), or waits for its operTm when `waiting`.
        case executing(owner: UInt64, parameters: Parameters, waiting: Bool)
    }

    package struct Refusal: Error, Equatable {
        package enum Kind: Sendable, Equatable {
            case accessDenied
            case temporarilyUnavailable
        }
        package let kind: Kind
        package let cause: AddCause

        package init(kind: Kind, cause: AddCause) {
            self.kind = kind
            self.cause = cause
        }
    }

    package private(set) var state: State = .idle
    /// Counts time-activated operates: the one waiting now is the one whose number this is, so a late
    /// wake-up of an aborted one cannot start another client's.
    package private(set) var activation: UInt64 = 0

    /// The association that holds the selection (stSeld is true while it is set).
    package var selectedBy: UInt64? {
        if case .selected(let owner, _, _) = state { return owner }
        return nil
    }

    package var nextDeadline: UInt64? {
        if case .selected(_, let deadline, _) = state { return deadline }
        return nil
    }

    /// A selection whose time ran out counts as none.
    private mutating func expire(now: UInt64) {
        if case .selected(_, let deadline, _) = state, deadline <= now { state = .idle }
    }

    /// Model 2: a client reads SBO. True when it now holds the selection (the read answers the object
    /// reference), false when it cannot (the read answers an empty string).
    package mutating func selectByRead(_ client: UInt64, timeout: UInt64, now: UInt64) -> Bool {
        expire(now: now)
        switch state {
        case .executing: return false
        case .selected(let owner, _, _) where owner != client: return false
        case .idle, .selected:
            state = .selected(owner: client, deadline: now &+ timeout, parameters: nil)
            return true
        }
    }

    /// Model 4: whether a client may select with a value now (checked before the check handler runs).
    package mutating func canSelect(_ client: UInt64, now: UInt64) throws(Refusal) {
        expire(now: now)
        switch state {
        case .executing: throw Refusal(kind: .temporarilyUnavailable, cause: .commandAlreadyInExecution)
        case .selected: throw Refusal(kind: .temporarilyUnavailable, cause: .objectAlreadySelected)
        case .idle: break
        }
    }

    /// Model 4: the select with value passed every check.
    package mutating func select(_ client: UInt64, parameters: Parameters, timeout: UInt64, now: UInt64) {
        state = .selected(owner: client, deadline: now &+ timeout, parameters: parameters)
    }

    /// An operate arrives: refused, or the object is now executing it.
    /// `waiting`: a time-activated operate that executes later (a cancel may still abort it).
    package mutating func beginOperate(_ client: UInt64, parameters: Parameters, model: ControlModel, now: UInt64, waiting: Bool = false) throws(Refusal) {
        expire(now: now)
        switch state {
        case .executing:
            throw Refusal(kind: .temporarilyUnavailable, cause: .commandAlreadyInExecution)
        case .idle where model.needsSelect:
            throw Refusal(kind: .accessDenied, cause: .objectNotSelected)
        case .selected(let owner, _, _) where owner != client:
            throw Refusal(kind: .temporarilyUnavailable, cause: .lockedByOtherClient)
        case .selected(_, _, let selected?) where model == .sboWithEnhancedSecurity && selected != parameters:
            state = .idle  // the operate must repeat the SBOw exactly; a mismatch also ends the selection
            throw Refusal(kind: .accessDenied, cause: .inconsistentParameters)
        case .idle, .selected:
            state = .executing(owner: client, parameters: parameters, waiting: waiting)
            if waiting { activation &+= 1 }
        }
    }

    /// The time of the time-activated operate numbered `number` (``activation`` when it began) came: true
    /// when it still is to execute (no cancel, no end of its association, came first).
    package mutating func activate(_ number: UInt64) -> Bool {
        guard number == activation, case .executing(let owner, let parameters, true) = state else { return false }
        state = .executing(owner: owner, parameters: parameters, waiting: false)
        return true
    }

    /// The operate was refused after it began (mode, hierarchy, a check) or its execution ended.
    /// Operate-many keeps an SBO selection for the next operate; otherwise the object is free again.
    package mutating func endOperate(model: ControlModel, operateMany: Bool, timeout: UInt64, now: UInt64) {
        guard case .executing(let owner, let parameters, _) = state else { return }
        if model.needsSelect && operateMany {
            state = .selected(owner: owner, deadline: now &+ timeout, parameters: model == .sboWithEnhancedSecurity ? parameters : nil)
        } else {
            state = .idle
        }
    }

    /// A cancel: releases the selection of the client that holds it, or aborts its time-activated operate.
    package mutating func cancel(_ client: UInt64, now: UInt64) throws(Refusal) {
        expire(now: now)
        switch state {
        case .executing(let owner, _, true) where owner == client: state = .idle
        case .executing: throw Refusal(kind: .temporarilyUnavailable, cause: .commandAlreadyInExecution)
        case .selected(let owner, _, _) where owner != client: throw Refusal(kind: .temporarilyUnavailable, cause: .lockedByOtherClient)
        case .idle, .selected: state = .idle
        }
    }

    /// The select timer: true when the selection ended now.
    package mutating func timerFired(now: UInt64) -> Bool {
        let before = state
        expire(now: now)
        return before != state
    }

    /// The association ended: its selection goes, and so does its time-activated operate still waiting for
    /// its operTm (returned, so it can be recorded as aborted): nobody could cancel it any more or learn how
    /// it ended. An execution already running finishes on its own.
    @discardableResult
    package mutating func associationClosed(_ client: UInt64) -> Parameters? {
        switch state {
        case .selected(let owner, _, _) where owner == client:
            state = .idle
        case .executing(let owner, let parameters, true) where owner == client:
            state = .idle
            return parameters
        default: break
        }
        return nil
    }

    package init() {}
}
