/// How a reload of the configuration ended: applied (with what it changed), or refused (with the same
/// messages as `validate`, or the reason a restart is needed) while the running configuration stays.
public struct ReloadOutcome: Sendable, Encodable, Equatable {
    public let applied: Bool
    /// What changed, in a line (applied), or why not in one (refused).
    public let summary: String
    /// The validation messages (file, line and field) of a refused configuration.
    public let messages: [String]

    public static func applied(_ summary: String) -> ReloadOutcome { ReloadOutcome(applied: true, summary: summary, messages: []) }

    public static func refused(_ summary: String, messages: [String] = []) -> ReloadOutcome {
        ReloadOutcome(applied: false, summary: summary, messages: messages)
    }
}
