import IEC61850Model

extension IedServicesProviding {
    /// Whether a data object can be substituted (it has subEna and a substitute in FC SV).
    public func isSubstitutable(_ object: String) -> Bool { services.reporting.substitutions.entry(for: object) != nil }

    /// The attribute a substitute of `object` replaces first (stVal, mag.f…), for its type; nil when
    /// `object` is not substitutable.
    public func substitutionTarget(of object: String) -> AttributeHandle? {
        let substitutions = services.reporting.substitutions
        guard let index = substitutions.entry(for: object) else { return nil }
        return services.model.handle(for: substitutions.entries[index].target)
    }

    /// Substitutes a data object's value, as a client does by writing subVal, subQ, subID and then
    /// subEna: reads and reports carry `value` with q = `quality` and q.source substituted until
    /// ``endSubstitution(of:by:)``. `value` replaces the first substituted attribute (stVal, or mag.f…).
    public func substitute(_ object: String, with value: DataValue, quality: Quality = .good, by identifier: String) throws(ServerError) {
        let substitutions = services.reporting.substitutions
        guard let index = substitutions.entry(for: object) else { throw .notSubstitutable(object) }
        let entry = substitutions.entries[index]
        let target = entry.pairs[0].substitute
        guard value.conforms(to: services.store.types[target]) else { throw .typeMismatch(reference: object, expected: "\(services.store.types[target])") }
        var changes: [(slot: Int, value: DataValue)] = [(target, value)]
        if let slot = entry.substituteQuality { changes.append((slot, .quality(quality))) }
        if let slot = entry.identifier, case .visibleString(let length) = services.store.types[slot] {
            changes.append((slot, .string(String(identifier.utf8.prefix(length)) ?? "")))
        }
        changes.append((entry.enable, .boolean(true)))
        for change in services.reporting.apply(changes) { services.events.notify(.substitution(change, connection: nil, by: identifier)) }
    }

    /// Ends a substitution: the process value (the latest the field gave) is served again.
    public func endSubstitution(of object: String, by identifier: String) throws(ServerError) {
        guard let index = services.reporting.substitutions.entry(for: object) else { throw .notSubstitutable(object) }
        let changes = services.reporting.apply(CollectionOfOne((slot: services.reporting.substitutions.entries[index].enable, value: DataValue.boolean(false))))
        for change in changes { services.events.notify(.substitution(change, connection: nil, by: identifier)) }
    }
}
