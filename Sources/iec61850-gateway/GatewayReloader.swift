import ArgumentParser
import EventLog
import Foundation
import GatewayCore
import GatewayHTTP
import IEC61850Model
import IEC61850Server
import Logging
import Synchronization

/// Reloads a running gateway's configuration (SIGHUP, `POST /api/reload`): reads the file again and, when
/// it is valid and asks for nothing that needs a restart, replaces the field side (devices, broker,
/// points, control routes) while the MMS server and every association keep running. A refused reload
/// leaves the running configuration as it was. Every reload is an event.
final class GatewayReloader: Sendable {
    private let file: String
    private let operations: GatewayOperations
    /// The served model as loaded (see ``ModelOrigin``): a reload may not change it.
    private let origin: ModelOrigin
    /// The `--simulate` delay, when controls without a route are simulated.
    private let simulateDelay: Duration?
    private let logger: Logger
    /// The configuration running now without its points, and the objects whose controls it routes; one
    /// reload at a time. The points are the running bindings' (``runningConfiguration(_:)``): a second
    /// copy of 100,000 points was 17 MB.
    private let running: Mutex<(configuration: GatewayConfiguration, routed: Set<String>)>

    /// Where the served model came from, to tell whether a reloaded configuration would change it.
    enum ModelOrigin: Sendable {
        /// An SCL file (by `--scl` or the configuration), and its contents' digest at start: any edit of
        /// the file is a change.
        case scl(path: String, digest: UInt64, fromFlag: Bool)
        /// Built from the points: the served model itself tells (its logical devices but the diagnostics one).
        case points
    }

    init(
        file: String, configuration: GatewayConfiguration, routed: Set<String>, origin: ModelOrigin, operations: GatewayOperations, simulateDelay: Duration?,
        logger: Logger
    ) {
        self.file = file
        self.operations = operations
        self.origin = origin
        self.simulateDelay = simulateDelay
        self.logger = logger
        running = Mutex((Self.withoutPoints(configuration), routed))
    }

    private static func withoutPoints(_ configuration: GatewayConfiguration) -> GatewayConfiguration {
        var kept = configuration
        kept.points = []
        return kept
    }

    /// The running configuration whole: `kept` with the points of the running bindings (one per point,
    /// in the file's order).
    private func runningConfiguration(_ kept: GatewayConfiguration) -> GatewayConfiguration {
        var configuration = kept
        configuration.points = operations.field.runtime?.bindings.map(\.point) ?? []
        return configuration
    }

    /// FNV-1a over bytes: enough to notice a changed file (not a security check).
    static func digest(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    /// Reloads now; `who` says what asked (`SIGHUP`, `HTTP 127.0.0.1:40000`).
    func reload(requestedBy who: String) -> ReloadOutcome {
        let outcome = running.withLock { state in apply(&state, who: who) }
        if outcome.applied {
            logger.notice("configuration reloaded", metadata: ["by": "\(who)", "changes": "\(outcome.summary)"])
        } else {
            logger.error(
                "configuration reload refused; the running one stays",
                metadata: ["by": "\(who)", "reason": "\(outcome.summary)", "messages": "\(outcome.messages.joined(separator: "; "))"])
        }
        operations.storage?.record(
            GatewayEvent(
                timeMilliseconds: currentMilliseconds(), kind: .configuration, reference: file, client: who,
                result: outcome.applied ? "applied" : "refused",
                detail: ([outcome.summary] + outcome.messages).joined(separator: "; ")))
        return outcome
    }

    private func apply(_ state: inout (configuration: GatewayConfiguration, routed: Set<String>), who: String) -> ReloadOutcome {
        let current = runningConfiguration(state.configuration)
        let newer: GatewayConfiguration
        do {
            newer = try ConfigurationReader.load(file: file, extensions: RunCommand.configurationExtensions)
        } catch {
            return .refused("\(file) is not valid", messages: error.errors.map(\.description))
        }
        let restart = current.restartOnlyChanges(in: newer).filter { name in
            // A model given by --scl does not follow the file's model section.
            !(name == "model" && modelFromFlag)
        }
        if !restart.isEmpty {
            return .refused("changed settings need a restart: \(restart.joined(separator: ", ")); the running configuration stays")
        }
        if let changed = modelChange(newer) { return .refused("\(changed); a restart serves the new model (clients then see a new ConfRev)") }
        let field: GatewayOperations.Field
        do {
            field = try RunCommand.makeField(newer, services: operations.server.services, logger: logger, record: record)
        } catch {
            return .refused("\(file) does not fit the served model", messages: "\(error)".split(separator: "\n").map(String.init))
        }
        // The field side is swapped while no role change starts or holds adapters: otherwise a node taking
        // or leaving the active role could act on the old adapters and miss the new ones.
        let swapped = steadily { () -> ReloadOutcome? in
            // The old adapters stop first: a serial line is one port, opened by one poller at a time.
            let old = operations.field
            for adapter in old.adapters { adapter.stop() }
            var started: [any FieldAdapter] = []
            for adapter in field.adapters {
                do {
                    if try startIfDriven(adapter) { started.append(adapter) }
                } catch {
                    for adapter in started { adapter.stop() }
                    restore(current)
                    return ReloadOutcome.refused("\(adapter.name) does not start: \(error)")
                }
            }
            operations.replaceField(with: field)
            return nil
        }
        if let swapped { return swapped }
        let routed = RunCommand.routeControls(of: field, logger: logger)
        for object in state.routed.subtracting(routed) {
            try? operations.server.setControlHandlers(for: object, nil)  // its commands: not-supported, or simulated below
        }
        if let simulateDelay { operations.server.simulateControls(delay: simulateDelay) }
        let summary = Self.changes(from: current, to: newer)
        state = (Self.withoutPoints(newer), routed)
        return .applied(summary)
    }

    /// Starts an adapter, or holds it on a standby that leaves its serial line to the active node (its
    /// points invalid); whether it started.
    private func startIfDriven(_ adapter: any FieldAdapter) throws -> Bool {
        guard operations.redundancy?.drives(adapter) ?? true else {
            adapter.hold()
            return false
        }
        try adapter.start()
        return true
    }

    /// Runs body while no role change of a redundant pair starts or holds adapters.
    private func steadily<T>(_ body: () throws -> T) rethrows -> T {
        guard let redundancy = operations.redundancy else { return try body() }
        return try redundancy.whileFieldIsSteady(body)
    }

    /// The running configuration's field side again, after a new one failed to start.
    private func restore(_ configuration: GatewayConfiguration) {
        do {
            let field = try RunCommand.makeField(configuration, services: operations.server.services, logger: logger, record: record)
            for adapter in field.adapters { _ = try startIfDriven(adapter) }
            RunCommand.routeControls(of: field, logger: logger)
            operations.replaceField(with: field)
        } catch {
            logger.error("the running configuration's adapters did not start again: \(error)")
        }
    }

    /// Why a reloaded configuration would serve another model, or nil when it serves the same one.
    private func modelChange(_ newer: GatewayConfiguration) -> String? {
        switch origin {
        case .scl(let path, let digest, _):
            guard let contents = FileManager.default.contents(atPath: path) else { return "the SCL file \(path) cannot be read" }
            return Self.digest(contents) == digest ? nil : "the SCL file \(path) changed since the gateway started"
        case .points:
            let served = operations.server.model
            var newer = newer
            newer.ied = served.name
            guard let model = try? ModelFromPoints.build(newer) else { return "the points do not make a model" }
            // The diagnostics LD, when there is one, comes last, its slots after the points' ones.
            let devices = model.logicalDevices.count
            let same =
                served.logicalDevices.starts(with: model.logicalDevices)
                && served.logicalDevices.dropFirst(devices).allSatisfy { $0.inst == DiagnosticsDevice.inst }
                && served.slotTypes.starts(with: model.slotTypes) && served.initialValues.starts(with: model.initialValues)
            return same ? nil : "the points ask for another model (a data object added, removed or of another class)"
        }
    }

    /// Whether `--scl` names the model (then the file's model section is not the gateway's to follow).
    private var modelFromFlag: Bool {
        if case .scl(_, _, true) = origin { return true }
        return false
    }

    private var record: (@Sendable ([GatewayEvent]) -> Void)? {
        guard let storage = operations.storage else { return nil }
        return { events in storage.record(contentsOf: events) }
    }

    /// What a reload changes, in a line.
    static func changes(from old: GatewayConfiguration, to new: GatewayConfiguration) -> String {
        func placeless(_ point: GatewayConfiguration.Point) -> GatewayConfiguration.Point {
            var point = point
            point.location = GatewayConfiguration.Location(file: "", line: 0)
            return point
        }
        let before = Dictionary(old.points.map { ($0.reference, placeless($0)) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.points.map { ($0.reference, placeless($0)) }, uniquingKeysWith: { first, _ in first })
        let added = after.keys.filter { before[$0] == nil }.count
        let removed = before.keys.filter { after[$0] == nil }.count
        let changed = after.filter { reference, point in before[reference].map { $0 != point } ?? false }.count
        var parts = ["points: \(added) added, \(removed) removed, \(changed) changed (\(new.points.count) in all)"]
        let devices = (old.modbusDevices.map(\.name), new.modbusDevices.map(\.name))
        if devices.0 != devices.1 { parts.append("Modbus devices: \(devices.1.joined(separator: ", "))") }
        if old.mqtt.map({ "\($0.host):\($0.port)" }) != new.mqtt.map({ "\($0.host):\($0.port)" }) {
            parts.append("MQTT broker: \(new.mqtt.map { "\($0.host):\($0.port)" } ?? "none")")
        }
        return parts.joined(separator: "; ")
    }
}
