import ArgumentParser
import Foundation
import GatewayCore
import IEC61850Model

/// `iec61850-gateway role [active|standby] --config FILE`: what keepalived's notify script calls.
struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "Set or show this node's role in a redundant pair (keepalived's notify script sets it).",
        discussion: """
            With active or standby, asks the gateway of this configuration to take that role: the request is \
            written to the redundancy state folder (redundancy: state:, /run/iec61850-gateway by default), \
            which the running gateway follows within a tenth of a second and finds again if it restarts. The \
            command waits up to --wait ms for the running gateway to say it took the role. Without a role, \
            prints the role the running gateway has, as its status file says.

            The active node serves the SCADA through the pair's virtual address, polls every field source and \
            executes controls. The standby keeps its values warm from Modbus TCP devices and the MQTT broker, \
            leaves serial lines to the active node and refuses every command with AddCause blocked-by-mode.

            Examples:
              iec61850-gateway role active --config /etc/iec61850-gateway/gateway.yaml
              iec61850-gateway role --config /etc/iec61850-gateway/gateway.yaml
            """
    )

    @Argument(help: ArgumentHelp("active or standby; none: show the role.", valueName: "role"))
    var role: String?

    @Option(name: .long, help: ArgumentHelp("The gateway configuration (YAML) with a redundancy: section.", valueName: "file"))
    var config: String

    @Option(name: .long, help: ArgumentHelp("How long to wait for the running gateway to take the role (default 2000).", valueName: "ms"))
    var wait: Int = 2000

    func validate() throws {
        if let role { guard GatewayRole(rawValue: role) != nil else { throw ValidationError("the role is active or standby, not '\(role)'") } }
        guard (0...60_000).contains(wait) else { throw ValidationError("--wait must be between 0 and 60000 ms") }
    }

    func run() throws {
        let files = try NodeFiles.of(config)
        guard let role = role.flatMap(GatewayRole.init(rawValue:)) else {
            let status = NodeFiles.running(files)
            guard let status else {
                print("not running (no live gateway has written \(files.statusPath))")
                throw ExitCode(3)
            }
            print("\(status.role.rawValue)  node=\(status.node) healthy=\(status.healthy)" + (status.reason.map { " reason=\"\($0)\"" } ?? ""))
            return
        }
        do {
            try files.prepare()
            try files.request(role)
        } catch {
            throw CommandFailure("\(error)")
        }
        let asked = currentMilliseconds()
        let deadline = Date().addingTimeInterval(Double(wait) / 1000)
        while Date() < deadline {
            if let status = NodeFiles.running(files), status.timeMilliseconds >= asked, status.role == role {
                print("\(role.rawValue): node \(status.node) took the role")
                return
            }
            usleep(20_000)
        }
        if let status = NodeFiles.running(files) {
            throw CommandFailure("asked for \(role.rawValue); node \(status.node) is still \(status.role.rawValue) after \(wait) ms")
        }
        print("\(role.rawValue): recorded in \(files.rolePath); no gateway runs now (it starts as the standby and follows the file)")
    }
}
