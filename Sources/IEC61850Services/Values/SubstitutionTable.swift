import IEC61850Model

/// Substitution as IEC 61850-7-3 defines it: a data object with `subEna`, `subVal` (`subMag`, `subCVal`),
/// `subQ` and `subID` in FC SV serves, while `subEna` is true, the substitute instead of the process
/// value, with q = subQ and q.source substituted; what the process writes meanwhile is held, and served
/// again when `subEna` turns false.
///
/// The table is built once from the model; ``route(_:values:state:now:)`` runs inside the value store's
/// lock on every update, so a process write costs one array read when no substitution is on.
package struct SubstitutionTable: Sendable {
    /// One substitutable data object.
    package struct Entry: Sendable {
        /// `GenericIO/GGIO1.Ind1`.
        package let object: String
        package let enable: Int
        /// Each substitute leaf with the process leaf it replaces (`subVal` → `stVal`, `subMag.f` → `mag.f`).
        package let pairs: [(substitute: Int, process: Int)]
        /// The first process leaf's reference (`GenericIO/GGIO1.Ind1.stVal`, `…AnIn1.mag.f`).
        package let target: String
        package let substituteQuality: Int?
        package let identifier: Int?
        package let quality: Int?
        package let time: Int?
    }

    package let entries: [Entry]
    /// Entries by data object reference.
    private let entryByObject: [String: Int]
    /// Per slot: the entry whose process value (or q, t) it is, or -1.
    private let processEntry: [Int32]
    /// Per slot: the entry whose SV attribute (subEna, subVal…, subQ) it is, or -1.
    private let controlEntry: [Int32]

    package var isEmpty: Bool { entries.isEmpty }

    /// The substitute attribute of each process attribute, by name.
    static let substitutes = [("subVal", ["stVal", "mxVal", "valWTr"]), ("subMag", ["mag"]), ("subCVal", ["cVal"])]

    package init(model: IedModel) {
        var entries: [Entry] = []
        for device in model.logicalDevices {
            for node in device.logicalNodes {
                for object in node.dataObjects {
                    Self.collect(object, reference: "\(device.inst)/\(node.name).\(object.name)", into: &entries)
                }
            }
        }
        self.entries = entries
        entryByObject = Dictionary(entries.enumerated().map { ($1.object, $0) }, uniquingKeysWith: { first, _ in first })
        let slots = model.slotTypes.count
        var processEntry = [Int32](repeating: -1, count: slots)
        var controlEntry = [Int32](repeating: -1, count: slots)
        for (index, entry) in entries.enumerated() {
            for slot in entry.pairs.map(\.process) + [entry.quality, entry.time].compactMap({ $0 }) { processEntry[slot] = Int32(index) }
            for slot in [entry.enable] + entry.pairs.map(\.substitute) + [entry.substituteQuality].compactMap({ $0 }) { controlEntry[slot] = Int32(index) }
        }
        self.processEntry = processEntry
        self.controlEntry = controlEntry
    }

    private static func collect(_ object: DataObject, reference: String, into entries: inout [Entry]) {
        for case .object(let child) in object.children { collect(child, reference: "\(reference).\(child.name)", into: &entries) }
        guard case .attribute(let enable)? = object.child(named: "subEna"), enable.fc == .sv, case .basic(.boolean, let enableSlot) = enable.content else {
            return
        }
        var pairs: [(substitute: Int, process: Int)] = []
        var target: String?
        for (substituteName, processNames) in substitutes {
            guard case .attribute(let substitute)? = object.child(named: Substring(substituteName)) else { continue }
            for name in processNames {
                guard case .attribute(let process)? = object.child(named: Substring(name)) else { continue }
                let found = leaves(substitute, process, path: "\(reference).\(name)")
                if target == nil { target = found.first?.path }
                pairs += found.map { ($0.substitute, $0.process) }
                break
            }
        }
        guard let target, !pairs.isEmpty else { return }
        func slot(_ name: String, _ type: BasicType) -> Int? {
            guard case .attribute(let attribute)? = object.child(named: Substring(name)), case .basic(let found, let slot) = attribute.content, found == type
            else { return nil }
            return slot
        }
        var identifier: Int?
        if case .attribute(let id)? = object.child(named: "subID"), case .basic(_, let slot) = id.content { identifier = slot }
        entries.append(
            Entry(
                object: reference, enable: enableSlot, pairs: pairs, target: target, substituteQuality: slot("subQ", .quality), identifier: identifier,
                quality: slot("q", .quality), time: slot("t", .timestamp)))
    }

    /// The basic leaves of two attributes of the same shape, paired in order (nothing when they differ).
    /// (the process leaf's reference is `path`)
    private static func leaves(
        _ substitute: DataAttribute, _ process: DataAttribute, path: String
    ) -> [(substitute: Int, process: Int, path: String)] {
        switch (substitute.content, process.content) {
        case (.basic(let a, let s), .basic(let b, let p)) where a == b: return [(s, p, path)]
        case (.constructed(let subs), .constructed(let procs)):
            var pairs: [(substitute: Int, process: Int, path: String)] = []
            for sub in subs {
                guard let proc = procs.first(where: { $0.name == sub.name }) else { continue }
                pairs += leaves(sub, proc, path: "\(path).\(sub.name)")
            }
            return pairs
        default: return []
        }
    }

    /// The entry of a data object, by reference (`GenericIO/GGIO1.Ind1`).
    package func entry(for object: String) -> Int? { entryByObject[object] }

    /// Routes one update's changes (see the type's description). Returns the changes to apply, in order,
    /// and the substitutions that began, changed or ended.
    package func route(
        _ changes: some Collection<(slot: Int, value: DataValue)>, values: [DataValue], state: inout SubstitutionState, now: () -> Timestamp
    ) -> (changes: [(slot: Int, value: DataValue)], substitutions: [SubstitutionChange]) {
        var routed: [(slot: Int, value: DataValue)] = []
        routed.reserveCapacity(changes.count)
        var touched: [Int] = []
        for change in changes {
            let process = change.slot < processEntry.count ? Int(processEntry[change.slot]) : -1
            if process >= 0, state.held[process] != nil {
                state.held[process]?[change.slot] = change.value  // held while substituted
                continue
            }
            routed.append(change)
            let control = change.slot < controlEntry.count ? Int(controlEntry[change.slot]) : -1
            if control >= 0, !touched.contains(control) { touched.append(control) }
        }
        guard !touched.isEmpty else { return (routed, []) }
        // The values as they will be once this update's own changes are in.
        var latest: [Int: DataValue] = [:]
        for change in routed { latest[change.slot] = change.value }
        func current(_ slot: Int) -> DataValue { latest[slot] ?? values[slot] }
        var substitutions: [SubstitutionChange] = []
        for index in touched {
            let entry = entries[index]
            let on = current(entry.enable) == .boolean(true)
            let wasOn = state.held[index] != nil
            if on {
                var quality = Quality.good
                if let slot = entry.substituteQuality, case .quality(let given) = current(slot) { quality = given }
                quality.insert(.substituted)
                let changed =
                    !wasOn || entry.pairs.contains { current($0.process) != current($0.substitute) }
                    || entry.quality.map { current($0) != .quality(quality) } ?? false
                guard changed else { continue }
                if !wasOn {
                    var held: [Int: DataValue] = [:]
                    for slot in entry.pairs.map(\.process) + [entry.quality, entry.time].compactMap({ $0 }) { held[slot] = current(slot) }
                    state.held[index] = held
                }
                for pair in entry.pairs { routed.append((pair.process, current(pair.substitute))) }
                if let slot = entry.quality { routed.append((slot, .quality(quality))) }
                if let slot = entry.time { routed.append((slot, .timestamp(now()))) }
                var identifier: String?
                if let slot = entry.identifier, case .string(let text) = current(slot) { identifier = text }
                substitutions.append(
                    SubstitutionChange(
                        object: entry.object, enabled: true, values: entry.pairs.map { current($0.substitute) }, quality: quality, identifier: identifier))
            } else if let held = state.held.removeValue(forKey: index) {
                routed += held.sorted { $0.key < $1.key }.map { (slot: $0.key, value: $0.value) }
                substitutions.append(
                    SubstitutionChange(
                        object: entry.object, enabled: false, values: entry.pairs.map { held[$0.process] ?? current($0.process) }, quality: nil,
                        identifier: nil))
            }
        }
        return (routed, substitutions)
    }
}

/// What substitution holds while it is on: per substituted entry, the latest process value of each of its slots.
package struct SubstitutionState: Sendable {
    package var held: [Int: [Int: DataValue]] = [:]

    package init() {}
}

/// A substitution that began (or got a new substitute) or ended, for the audit trail.
public struct SubstitutionChange: Sendable, Equatable {
    /// The data object (`GenericIO/GGIO1.Ind1`).
    public let object: String
    /// True: the substitute is served now; false: the process value is back.
    public let enabled: Bool
    /// The values served now in place of the process values (subVal, or subMag's leaves…), or the
    /// process values restored.
    public let values: [DataValue]
    /// The quality served while substituted (subQ with q.source substituted).
    public let quality: Quality?
    /// subID: who or what substituted, as the client wrote it.
    public let identifier: String?
}
