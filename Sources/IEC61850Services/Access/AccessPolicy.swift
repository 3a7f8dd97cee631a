/// Decides, request by request, what one association may do. Fixed when the association is accepted
/// (from what the client proved: certificate, password, address); see ``Authenticator``.
public struct AccessPolicy: Sendable {
    private enum Rule: Sendable {
        case rights(AccessRights)
        case custom(@Sendable (AccessRequest) -> Bool)
    }
    private let rule: Rule
    /// A name for logs and security events (`operator`, `custom`).
    public let name: String

    /// Everything a role includes.
    public static func role(_ role: Role) -> AccessPolicy { AccessPolicy(rule: .rights(role.rights), name: role.rawValue) }
    /// Everything: what an association gets without access control.
    public static let unrestricted = AccessPolicy(rule: .rights(.all), name: "unrestricted")

    /// A policy of the application's own: `decide` sees each request that changes something.
    public static func custom(name: String = "custom", _ decide: @escaping @Sendable (AccessRequest) -> Bool) -> AccessPolicy {
        AccessPolicy(rule: .custom(decide), name: name)
    }

    private init(rule: Rule, name: String) {
        self.rule = rule
        self.name = name
    }

    package func permits(_ request: @autoclosure () -> AccessRequest) -> Bool {
        switch rule {
        case .rights(let rights): rights.contains(request().kind.right)
        case .custom(let decide): decide(request())
        }
    }

    /// Whether the policy allows everything (nothing to check per request).
    package var isUnrestricted: Bool {
        if case .rights(let rights) = rule { return rights == .all }
        return false
    }
}

/// One request that changes something, as an ``AccessPolicy`` sees it.
public struct AccessRequest: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Select, operate or cancel (`service`: `SBO`, `SBOw`, `Oper`, `Cancel`).
        case control(service: String)
        /// A write of a setting (FC SP, SE or SV).
        case writeSetting
        /// A write to a control block that changes its configuration (DatSet, log control blocks).
        case configureControlBlock
        /// DefineNamedVariableList.
        case createDataSet
        /// DeleteNamedVariableList.
        case deleteDataSet
        /// FileDelete (when the server's file services allow deleting at all).
        case deleteFile
        /// ObtainFile, the ACSI SetFile (when the server's file services allow storing files at all).
        case writeFile

        /// The right a role needs for it.
        public var right: AccessRights {
            switch self {
            case .control: .control
            case .writeSetting: .writeSettings
            case .configureControlBlock, .createDataSet, .deleteDataSet, .deleteFile, .writeFile: .configure
            }
        }

        package var words: String {
            switch self {
            case .control(let service): "control (\(service))"
            case .writeSetting: "write a setting"
            case .configureControlBlock: "configure a control block"
            case .createDataSet: "create a data set"
            case .deleteDataSet: "delete a data set"
            case .deleteFile: "delete a file"
            case .writeFile: "store a file"
            }
        }
    }

    public let kind: Kind
    /// The object, attribute or data set (`GenericIO/GGIO1.SPCSO1`, `GenericIO/GGIO2$SP$SetAn1`, `GenericIO/LLN0$DS1`).
    public let reference: String
    public let connection: ClientConnection

    package init(kind: Kind, reference: String, connection: ClientConnection) {
        self.kind = kind
        self.reference = reference
        self.connection = connection
    }
}

/// What an ``Authenticator`` decides for an association.
public enum AccessDecision: Sendable {
    /// Refused: the association is rejected (authentication failure).
    case refuse
    /// Admitted, doing what the policy allows.
    case admit(AccessPolicy)
}
