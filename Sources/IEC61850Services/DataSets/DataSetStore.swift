import IEC61850Model
import Synchronization

/// Why a data set cannot be defined.
package enum DataSetRefusal: Error, Sendable, Equatable {
    /// A data set of that name exists.
    case exists
    /// The logical device or the association holds as many client-created data sets as it may.
    case full
}

/// The persistent data sets of every domain: the SCL's (not deletable) and those clients create.
package final class DataSetStore: Sendable {
    private let sets: Mutex<[String: [String: DataSetEntry]]>
    private let limit: Int
    /// Whether a control block refers to a data set (deletion is then refused). Set by the reporting service.
    /// In a struct, not a bare closure: see ``ServerEventObservers`` (a closure read back out of a `Mutex`
    /// grows a thunk at each read).
    package let references = Mutex(ReferenceCheck { _ in false })

    package struct ReferenceCheck: Sendable {
        package let isReferenced: @Sendable (DataSetName) -> Bool

        package init(isReferenced: @escaping @Sendable (DataSetName) -> Bool) {
            self.isReferenced = isReferenced
        }
    }

    package init(initial: [String: [String: DataSetEntry]], perDomainLimit: Int) {
        sets = Mutex(initial)
        limit = perDomainLimit
    }

    package func entry(domain: String, item: String) -> DataSetEntry? {
        sets.withLock { $0[domain]?[item] }
    }

    /// The data set names of a domain, in no particular order.
    package func names(domain: String) -> [String] {
        sets.withLock { Array(($0[domain] ?? [:]).keys) }
    }

    /// Every data set: (domain, item, entry).
    package func all() -> [(String, String, DataSetEntry)] {
        sets.withLock { sets in sets.flatMap { domain, items in items.map { (domain, $0.key, $0.value) } } }
    }

    /// Adds a client-created data set; refused when the name exists or the domain is full.
    package func define(domain: String, item: String, entry: DataSetEntry) throws(DataSetRefusal) {
        try sets.withLock { sets throws(DataSetRefusal) in
            var items = sets[domain] ?? [:]
            guard items[item] == nil else { throw .exists }
            guard items.values.filter(\.deletable).count < limit else { throw .full }
            items[item] = entry
            sets[domain] = items
        }
    }

    package enum DeleteOutcome {
        case notFound
        case notDeletable
        case referenced
        case deleted
    }

    package func delete(domain: String, item: String) -> DeleteOutcome {
        let isReferenced = references.withLock { $0 }.isReferenced
        return sets.withLock { sets in
            guard let entry = sets[domain]?[item] else { return .notFound }
            guard entry.deletable else { return .notDeletable }
            guard !isReferenced(.domain(domain, item: item)) else { return .referenced }
            sets[domain]?[item] = nil
            return .deleted
        }
    }
}

/// The data sets of one association (`@name`); they end with it. Touched only on its event loop.
package final class AssociationDataSets {
    package private(set) var sets: [String: DataSetEntry] = [:]
    package let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    package func define(_ name: String, entry: DataSetEntry) throws(DataSetRefusal) {
        guard sets[name] == nil else { throw .exists }
        guard sets.count < limit else { throw .full }
        sets[name] = entry
    }

    package func remove(_ name: String) {
        sets[name] = nil
    }

    /// The names, in no particular order.
    package var names: [String] { Array(sets.keys) }
}
