import IEC61850Model
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// Selection and execution of a controllable object without sockets, with a fake clock (nanoseconds).
@Suite("Control state machine")
struct ControlStateMachineTests {
    static let alice: UInt64 = 1
    static let bob: UInt64 = 2
    static let second: UInt64 = 1_000_000_000

    static func parameters(_ value: Bool = true, ctlNum: UInt8 = 1) -> ControlStateMachine.Parameters {
        .init(value: .boolean(value), originCategory: 3, originIdentifier: [0x41], controlNumber: ctlNum, test: false, check: 0)
    }

    static func refusal(_ body: () throws -> Void) -> ControlStateMachine.Refusal? {
        do {
            try body()
            return nil
        } catch {
            return error as? ControlStateMachine.Refusal
        }
    }

    @Test("SBO read: one owner until the select timeout; then anyone may select")
    func selectByRead() {
        var machine = ControlStateMachine()
        let outcome1 = machine.selectByRead(Self.alice, timeout: 10 * Self.second, now: 0)
        #expect(outcome1)
        #expect(machine.selectedBy == Self.alice)
        let outcome2 = machine.selectByRead(Self.bob, timeout: 10 * Self.second, now: 5 * Self.second)
        #expect(!outcome2)
        let outcome3 = machine.selectByRead(Self.alice, timeout: 10 * Self.second, now: 5 * Self.second)
        #expect(outcome3)  // the owner again: refreshed
        let outcome4 = machine.timerFired(now: 14 * Self.second)
        #expect(!outcome4)
        let outcome5 = machine.timerFired(now: 15 * Self.second)
        #expect(outcome5)
        #expect(machine.selectedBy == nil)
        let outcome6 = machine.selectByRead(Self.bob, timeout: 10 * Self.second, now: 16 * Self.second)
        #expect(outcome6)
    }

    @Test("operate: not selected, locked by another client, already executing")
    func operateRefusals() throws {
        var machine = ControlStateMachine()
        let outcome7 = Self.refusal { try machine.beginOperate(Self.alice, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: 0) }
        #expect(outcome7 == .init(kind: .accessDenied, cause: .objectNotSelected))
        _ = machine.selectByRead(Self.alice, timeout: Self.second, now: 0)
        let outcome8 = Self.refusal { try machine.beginOperate(Self.bob, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: 1) }
        #expect(outcome8 == .init(kind: .temporarilyUnavailable, cause: .lockedByOtherClient))
        try machine.beginOperate(Self.alice, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: 2)
        let outcome9 = Self.refusal { try machine.beginOperate(Self.alice, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: 3) }
        #expect(outcome9 == .init(kind: .temporarilyUnavailable, cause: .commandAlreadyInExecution))
        machine.endOperate(model: .sboWithNormalSecurity, operateMany: false, timeout: Self.second, now: 4)
        #expect(machine.state == .idle)  // operate-once: the selection is used up
        let outcome10 = Self.refusal { try machine.beginOperate(Self.alice, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: 5) }
        #expect(outcome10?.cause == .objectNotSelected)
    }

    @Test("an operate after the select timeout is not selected")
    func selectTimeout() {
        var machine = ControlStateMachine()
        _ = machine.selectByRead(Self.alice, timeout: Self.second, now: 0)
        let outcome11 = Self.refusal { try machine.beginOperate(Self.alice, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: Self.second) }
        #expect(outcome11?.cause == .objectNotSelected)
    }

    @Test("SBOw then Oper: the operate must repeat the select's parameters; a mismatch deselects")
    func enhancedParameters() throws {
        var machine = ControlStateMachine()
        try machine.canSelect(Self.alice, now: 0)
        machine.select(Self.alice, parameters: Self.parameters(ctlNum: 5), timeout: Self.second, now: 0)
        let outcome12 = Self.refusal { try machine.canSelect(Self.bob, now: 1) }
        #expect(outcome12 == .init(kind: .temporarilyUnavailable, cause: .objectAlreadySelected))
        let outcome13 = Self.refusal { try machine.beginOperate(Self.alice, parameters: Self.parameters(ctlNum: 6), model: .sboWithEnhancedSecurity, now: 2) }
        #expect(outcome13 == .init(kind: .accessDenied, cause: .inconsistentParameters))
        #expect(machine.state == .idle)
        machine.select(Self.alice, parameters: Self.parameters(ctlNum: 7), timeout: Self.second, now: 3)
        try machine.beginOperate(Self.alice, parameters: Self.parameters(ctlNum: 7), model: .sboWithEnhancedSecurity, now: 4)
    }

    @Test("operate-many keeps the selection; cancel releases it, only for its owner")
    func operateManyAndCancel() throws {
        var machine = ControlStateMachine()
        _ = machine.selectByRead(Self.alice, timeout: Self.second, now: 0)
        try machine.beginOperate(Self.alice, parameters: Self.parameters(), model: .sboWithNormalSecurity, now: 1)
        machine.endOperate(model: .sboWithNormalSecurity, operateMany: true, timeout: Self.second, now: 2)
        #expect(machine.selectedBy == Self.alice)
        let outcome14 = Self.refusal { try machine.cancel(Self.bob, now: 3) }
        #expect(outcome14 == .init(kind: .temporarilyUnavailable, cause: .lockedByOtherClient))
        try machine.cancel(Self.alice, now: 4)
        #expect(machine.selectedBy == nil)
    }

    @Test("direct control needs no selection; the owner's association ending releases a selection")
    func directAndClose() throws {
        var machine = ControlStateMachine()
        try machine.beginOperate(Self.bob, parameters: Self.parameters(), model: .directWithNormalSecurity, now: 0)
        machine.endOperate(model: .directWithNormalSecurity, operateMany: false, timeout: Self.second, now: 1)
        _ = machine.selectByRead(Self.alice, timeout: Self.second, now: 2)
        machine.associationClosed(Self.bob)
        #expect(machine.selectedBy == Self.alice)
        machine.associationClosed(Self.alice)
        #expect(machine.selectedBy == nil)
    }
}
