import IEC61850Model

/// Why a control was refused or failed (IEC 61850-7-2 AddCause, as LastApplError carries it).
public enum AddCause: Int64, Sendable, CaseIterable {
    case unknown = 0
    case notSupported = 1
    case blockedBySwitchingHierarchy = 2
    case selectFailed = 3
    case invalidPosition = 4
    case positionReached = 5
    case parameterChangeInExecution = 6
    case stepLimit = 7
    case blockedByMode = 8
    case blockedByProcess = 9
    case blockedByInterlocking = 10
    case blockedBySynchrocheck = 11
    case commandAlreadyInExecution = 12
    case blockedByHealth = 13
    case oneOfNControl = 14
    case abortionByCancel = 15
    case timeLimitOver = 16
    case abortionByTrip = 17
    case objectNotSelected = 18
    case objectAlreadySelected = 19
    case noAccessAuthority = 20
    case endedWithOvershoot = 21
    case abortionDueToDeviation = 22
    case abortionByCommunicationLoss = 23
    case blockedByCommand = 24
    case none = 25
    case inconsistentParameters = 26
    case lockedByOtherClient = 27
}

extension ControlModel {
    package var needsSelect: Bool { self == .sboWithNormalSecurity || self == .sboWithEnhancedSecurity }
    package var isEnhanced: Bool { self == .directWithEnhancedSecurity || self == .sboWithEnhancedSecurity }
}
