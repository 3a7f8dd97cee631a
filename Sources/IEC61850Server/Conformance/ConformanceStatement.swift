import IEC61850Model
import MMS
import MMSMapping

/// What a server supports and how, as an integrator's conformance statements list it: the PICS (the ACSI
/// models and services, IEC 61850-7-2), the PIXIT (limits, timeouts and choices) and the MICS (the
/// logical node classes and data objects of the model).
///
/// Made from the running server, not from a list kept by hand: each service's support is decided from
/// the MMS services the server's initiate response offers (what its request dispatch answers), the
/// control blocks, logs and controllable objects of its model, and its configuration; each limit is the
/// configured or built-in value.
public struct ConformanceStatement: Sendable {
    /// One row of the PICS: a basic conformance item (B…), an ACSI model (M…) or an ACSI service (S…).
    public struct Service: Sendable, Equatable {
        /// `Basic conformance`, `Models`, or the ACSI model a service belongs to (`Data set`, `Reporting`…).
        public let group: String
        /// The row's number in the UCA PICS template (`S12`); empty where the template's numbering differs
        /// between editions.
        public let id: String
        public let name: String
        /// What IEC 61850-7-2 requires of a server: `M` (mandatory), `O` (optional), or empty where it
        /// depends on the models the server implements.
        public let server: String
        public let supported: Bool
        /// How it is served (its MMS mapping), or why not.
        public let note: String
    }

    /// One PIXIT entry: a limit, timeout or choice.
    public struct Setting: Sendable, Equatable {
        public let section: String
        public let name: String
        public let value: String
    }

    /// A logical node class of the model, with its data objects (MICS).
    public struct LogicalNodeClass: Sendable, Equatable {
        public let lnClass: String
        /// Whether IEC 61850-7-4 (Ed. 2) defines the class.
        public let standard: Bool
        /// The instances (`GGIO1`, `GGIO2`…), with their logical devices.
        public let instances: [String]
        public let dataObjects: [DataObjectUse]
    }

    /// A data object name used in a class, with its common data class.
    public struct DataObjectUse: Sendable, Equatable {
        public let name: String
        public let cdc: String
        /// Whether IEC 61850-7-3 defines the CDC.
        public let standardCDC: Bool
        /// Whether the class's namespace definition has this data object; nil when no namespace
        /// definition given defines the class (not checked).
        public let standard: Bool?
    }

    public let iedName: String
    public let identity: IedServerConfiguration.Identity
    public let services: [Service]
    public let settings: [Setting]
    public let logicalNodeClasses: [LogicalNodeClass]
    /// The namespace definitions the MICS was checked against (their identifiers); empty: the built-in
    /// lists of classes and CDCs only.
    public let namespaces: [String]

    /// The same statement with one PIXIT value replaced (what the application knows better: where it
    /// keeps its logs).
    public func replacing(section: String, name: String, with value: String) -> ConformanceStatement {
        ConformanceStatement(
            iedName: iedName, identity: identity, services: services,
            settings: settings.map { $0.section == section && $0.name == name ? Setting(section: section, name: name, value: value) : $0 },
            logicalNodeClasses: logicalNodeClasses, namespaces: namespaces)
    }
}

extension IedServer {
    /// This server's conformance statements, from its model, configuration and services.
    public var conformance: ConformanceStatement { conformance(namespaces: []) }

    /// The statements, the MICS checked against namespace definitions (the NSD files of IEC 61850-7-4 and
    /// 7-3, and any of the model's own namespaces): every data object against its class.
    public func conformance(namespaces: [NamespaceDefinition]) -> ConformanceStatement {
        ConformanceStatement(
            iedName: model.name, identity: configuration.identity, services: ACSIServiceTable.services(of: backend, configuration: configuration),
            settings: PIXITSettings.settings(of: backend, configuration: configuration),
            logicalNodeClasses: MICSClasses.classes(of: model, namespaces: namespaces), namespaces: namespaces.map(\.identifier))
    }
}
