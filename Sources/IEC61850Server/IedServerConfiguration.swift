import Foundation
import IEC61850Model
import IEC61850Services

/// How an ``IedServer`` listens, whom it admits and what it allows.
public struct IedServerConfiguration: Sendable {
    /// Address to bind (`0.0.0.0` for every IPv4 interface, `127.0.0.1` for loopback only).
    public var bindAddress: String = "0.0.0.0"
    /// TCP port; 102 is the IEC 61850 / ISO-on-TCP port. 0 picks a free port (see ``IedServer/localPort``).
    public var port: Int = 102
    /// Whether the plain (unencrypted) listener on ``port`` runs; off with ``tls`` set, the server speaks TLS only.
    public var servesPlainMMS: Bool = true
    /// MMS over TLS (IEC 62351-3): a second listener, with mutual certificate authentication. nil: no TLS.
    public var tls: TLSSettings?
    /// The most associations served at once; a connection over it is closed as soon as it is accepted.
    public var maximumAssociations: Int = 10
    /// The most connections one peer address may have open at once (nil: only ``maximumAssociations``
    /// bounds them); one more from that address is closed as soon as it is accepted.
    public var maximumAssociationsPerPeer: Int?
    /// How long a connection may take from TCP accept to an accepted association (COTP CR, session
    /// connect, AARQ with the MMS initiate); past it the connection is closed, so connections that never
    /// send, or stop half-way, cannot hold association slots (libIEC61850 has no such bound).
    public var associationTimeout: Duration = .seconds(10)
    /// How many event-loop threads serve the associations (at least 1).
    ///
    /// One loop serves tens of associations (about 60,000 reads a second on one core of the benchmark
    /// machine) and costs the least CPU per request and per report: an update that reports to several
    /// associations wakes one thread, and no association's requests bounce between cores. On the 2-core
    /// benchmark machine one loop took 10-20 % less CPU per read with four associations, and per report
    /// update with five subscribers, than one per core. More loops spread many TLS associations (the
    /// cryptography is the costly part) over more cores.
    public var eventLoopThreads: Int = 1
    /// The largest MMS PDU the server negotiates (`localDetailCalled`).
    public var maximumMMSPDUSize: Int = 65_000
    /// The largest COTP TPDU size offered, as a power of two (13 = 8192 octets, as libIEC61850; 7…15).
    public var maximumTPDUSizeExponent: UInt8 = 13
    /// The most confirmed requests a client may have outstanding.
    public var maximumServicesOutstanding: Int = 10
    /// The MMS structure nesting level offered in the initiate response.
    public var dataStructureNestingLevel: Int = 10
    /// What identify answers.
    public var identity = Identity()
    /// The file services (FileDirectory, FileOpen, FileRead, FileClose, and FileDelete when allowed): a
    /// folder on disk, and the served model as `SCL/<IED>.cid`. nil (the default): no file services.
    public var files: FileServiceSettings?
    /// Folders of files the application makes, offered beside the model's CID when ``files`` is set
    /// (the gateway mounts its event log's exports as `LOG`).
    public var fileSources: [String: any FileSource] = [:]
    /// Who may associate.
    public var authenticator: Authenticator = .none
    /// How failed password attempts are slowed down: a temporary lock-out per peer address.
    public var authenticationLockout = AuthenticationLockout()
    /// Limits on the data sets clients create.
    public var dataSetLimits = DataSetLimits()
    /// Which functional constraints clients may write (besides control blocks and controls).
    public var writableFunctionalConstraints: Set<FunctionalConstraint> = [.sp, .sv, .se]
    /// The most reports a buffered report control block keeps while its client is away; past it the oldest
    /// is dropped and the next report says BufOvfl.
    public var reportBufferEntries: Int = 1000
    /// Outbound bytes a client may leave unread before a report closes its association (its URCBs are
    /// released; its BRCBs keep buffering for its return), so a stalled client cannot grow our memory.
    public var maximumQueuedReportBytes: Int = 8 << 20
    /// How long a control's execution may take (wait-for-execution and control handlers together) before
    /// it fails with AddCause time-limit-over; an object's own `operTimeout` (CF, ms) takes precedence.
    public var controlTimeout: Duration = .seconds(10)
    /// What clients may write into report and log control blocks (IntgPd, ResvTms).
    public var controlBlockLimits = ControlBlockLimits()
    /// How far in the future a time-activated operate's operTm may lie; one further ahead is refused
    /// with AddCause inconsistent-parameters. A waiting operate whose association ends is aborted.
    public var maximumOperateDelay: Duration = .seconds(86_400)
    /// Where the model's logs (SCL `Log`, MMS journals) keep their entries, as libIEC61850's
    /// `IedServer_setLogStorage`; the `EventLog` module has a SQLite storage. Without one, a model with
    /// logs keeps its entries in memory (``inMemoryLogEntries`` per log) and loses them on restart.
    public var logStorage: (any LogStorage)?
    /// The entries per log kept in memory when no ``logStorage`` is set.
    public var inMemoryLogEntries: Int = 10_000

    public init() {}

    /// The vendor, model and revision a client reads with identify.
    public struct Identity: Sendable, Equatable {
        public var vendor: String
        public var model: String
        public var revision: String

        public init(vendor: String = "iec61850-gateway", model: String = "Swift IEC 61850 server", revision: String = "0.1.0") {
            self.vendor = vendor
            self.model = model
            self.revision = revision
        }
    }
}

/// How failed password attempts from one peer address are slowed down: after `maximumFailures` in a row
/// the address is locked out for `lockout` (doubling at each further lock-out, up to `maximumLockout`);
/// while locked out its associations are refused without their password being looked at. A success, or
/// `forgetAfter` without attempts, clears the address.
public struct AuthenticationLockout: Sendable, Equatable {
    public var maximumFailures: Int
    public var lockout: Duration
    public var maximumLockout: Duration
    public var forgetAfter: Duration

    public init(maximumFailures: Int = 5, lockout: Duration = .seconds(60), maximumLockout: Duration = .seconds(900), forgetAfter: Duration = .seconds(3600)) {
        self.maximumFailures = max(1, maximumFailures)
        self.lockout = lockout
        self.maximumLockout = maximumLockout
        self.forgetAfter = forgetAfter
    }
}

/// Decides whether an association is admitted (ACSE authentication, IEC 62351-4 password mechanism 2.2.3.1;
/// the TLS client certificate; the peer address) and what it may then do (``AccessPolicy``).
public enum Authenticator: Sendable {
    /// Every association is admitted and may do everything.
    case none
    /// Only associations that present this password are admitted; they may do everything.
    case password(String)
    /// A closure decides, seeing the credentials and the peer; an admitted association may do everything.
    case custom(@Sendable (AuthenticationRequest) -> Bool)
    /// Roles (viewer, operator, engineer) from passwords, certificates and addresses.
    case roles(RoleMapping)
    /// A closure decides whether, and with which policy (a role or one of its own), to admit.
    case decide(@Sendable (AuthenticationRequest) -> AccessDecision)

    /// Whether and how an association with these credentials is admitted.
    public func decision(for request: AuthenticationRequest) -> AccessDecision {
        switch self {
        case .none: return .admit(.unrestricted)
        case .password(let expected):
            guard request.mechanism == .password, let offered = request.password,
                Self.constantTimeEquals(Array(offered.utf8), Array(expected.utf8))
            else { return .refuse }
            return .admit(.unrestricted)
        case .custom(let decide): return decide(request) ? .admit(.unrestricted) : .refuse
        case .roles(let mapping): return mapping.role(for: request).map { .admit(.role($0)) } ?? .refuse
        case .decide(let decide): return decide(request)
        }
    }

    private static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0xFF)
        }
        return difference == 0
    }
}

/// What a client presented when it asked to associate.
public struct AuthenticationRequest: Sendable {
    public enum Mechanism: Sendable, Equatable {
        /// No authentication value was sent.
        case none
        /// The password mechanism (2.2.3.1).
        case password
        /// Another mechanism (for example a certificate); its OID octets.
        case other([UInt8])
    }

    public var mechanism: Mechanism
    /// The password, for the password mechanism.
    public var password: String?
    /// The remote address, `ip:port`.
    public var peerAddress: String?
    /// The client's certificate, when it associated over TLS with one (checked by then: trusted, valid, not
    /// revoked, allow-listed).
    public var certificate: PeerCertificate?
    /// The calling AP title's OID octets, when sent.
    public var callingAPTitle: [UInt8]?
    public var callingAEQualifier: Int64?

    public init(
        mechanism: Mechanism, password: String? = nil, peerAddress: String? = nil, certificate: PeerCertificate? = nil, callingAPTitle: [UInt8]? = nil,
        callingAEQualifier: Int64? = nil
    ) {
        self.mechanism = mechanism
        self.password = password
        self.peerAddress = peerAddress
        self.certificate = certificate
        self.callingAPTitle = callingAPTitle
        self.callingAEQualifier = callingAEQualifier
    }
}

extension IedServerConfiguration {
    /// What the services take of this configuration.
    var serviceSettings: ServiceSettings {
        ServiceSettings(
            dataSetsPerLogicalDevice: dataSetLimits.perLogicalDevice, reportBufferEntries: reportBufferEntries, logStorage: logStorage,
            inMemoryLogEntries: inMemoryLogEntries, controlBlockLimits: controlBlockLimits, controlTimeout: controlTimeout,
            maximumOperateDelay: maximumOperateDelay)
    }
}
