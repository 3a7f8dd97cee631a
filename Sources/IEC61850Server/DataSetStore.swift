import IEC61850Model
import MMS
import Synchronization

/// The persistent data sets of every domain: the SCL's (not deletable) and those clients create.
final class DataSetStore: Sendable {
    private let sets: Mutex<[String: [String: DataSetEntry]]>
    private let limit: Int
    /// Whether a control block refers to a data set (deletion is then refused). Set by the reporting service.
    /// In a struct, not a bare closure: see ``ServerEventObservers`` (a closure read back out of a `Mutex`
    /// grows a thunk at each read).
    let references = Mutex(ReferenceCheck { _ in false })

    struct ReferenceCheck: Sendable {
        let isReferenced: @Sendable (DataSetName) -> Bool
    }

    init(initial: [String: [String: DataSetEntry]], perDomainLimit: Int) {
        sets = Mutex(initial)
        limit = perDomainLimit
    }

    func entry(domain: String, item: String) -> DataSetEntry? {
        sets.withLock { $0[domain]?[item] }
    }

    /// The data set names of a domain, in MMS collation.
    func names(domain: String) -> [String] {
        sets.withLock { ($0[domain] ?? [:]).keys.sorted(by: MMSNamespace.mmsOrder) }
    }

    /// Every data set: (domain, item, entry).
    func all() -> [(String, String, DataSetEntry)] {
        sets.withLock { sets in sets.flatMap { domain, items in items.map { (domain, $0.key, $0.value) } } }
    }

    /// Adds a client-created data set; refused when the name exists or the domain is full.
    func define(domain: String, item: String, entry: DataSetEntry) throws(ServiceError) {
        try sets.withLock { sets throws(ServiceError) in
            var items = sets[domain] ?? [:]
            guard items[item] == nil else { throw .objectExists }
            guard items.values.filter(\.deletable).count < limit else { throw .capabilityUnavailable }
            items[item] = entry
            sets[domain] = items
        }
    }

    enum DeleteOutcome {
        case notFound
        case notDeletable
        case referenced
        case deleted
    }

    func delete(domain: String, item: String) -> DeleteOutcome {
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
final class AssociationDataSets {
    private(set) var sets: [String: DataSetEntry] = [:]
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func define(_ name: String, entry: DataSetEntry) throws(ServiceError) {
        guard sets[name] == nil else { throw .objectExists }
        guard sets.count < limit else { throw .capabilityUnavailable }
        sets[name] = entry
    }

    func remove(_ name: String) {
        sets[name] = nil
    }

    var sortedNames: [String] { sets.keys.sorted(by: MMSNamespace.mmsOrder) }
}
