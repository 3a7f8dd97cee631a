/// A data attribute (DA) or a sub-attribute of a constructed one (BDA).
public struct DataAttribute: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// A basic value, stored in value slot `slot` of the model.
        case basic(BasicType, slot: Int)
        /// A constructed attribute (an SCL DAType) with its components in order.
        case constructed([DataAttribute])
        /// An array: its elements in order (each basic or constructed).
        case array([DataAttribute])
    }

    public var name: String
    public var fc: FunctionalConstraint
    public var content: Content
    /// Trigger options from the SCL: data change, quality change, data update.
    public var triggers: TriggerOptions

    public init(name: String, fc: FunctionalConstraint, content: Content, triggers: TriggerOptions = []) {
        self.name = name
        self.fc = fc
        self.content = content
        self.triggers = triggers
    }

    /// Calls `body` for every basic attribute below (and including) this one.
    public func forEachLeaf(_ body: (BasicType, Int) -> Void) {
        switch content {
        case .basic(let type, let slot): body(type, slot)
        case .constructed(let children), .array(let children): for child in children { child.forEachLeaf(body) }
        }
    }
}

/// Which changes of an attribute trigger reports and log entries.
public struct TriggerOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let dataChange = TriggerOptions(rawValue: 1 << 0)
    public static let qualityChange = TriggerOptions(rawValue: 1 << 1)
    public static let dataUpdate = TriggerOptions(rawValue: 1 << 2)
}
