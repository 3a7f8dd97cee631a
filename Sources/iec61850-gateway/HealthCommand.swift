import ArgumentParser
import Foundation
import GatewayCore
import IEC61850Model

/// `iec61850-gateway health --config FILE`: keepalived's track script.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Exit 0 when the gateway of this configuration runs and can serve (keepalived's track script).",
        discussion: """
            Reads the status the running gateway writes every second to its redundancy state folder, without \
            reading the rest of the configuration or touching the network. Healthy means: the process lives, \
            its status is less than --max-age ms old, its IEC 61850 server serves, it has the role keepalived \
            last asked for, and at least one of the field sources it reads answers. Otherwise it prints why \
            and exits 1, so keepalived moves the virtual address to the peer.

            Example:  iec61850-gateway health --config /etc/iec61850-gateway/gateway.yaml
            """
    )

    @Option(name: .long, help: ArgumentHelp("The gateway configuration (YAML) with a redundancy: section.", valueName: "file"))
    var config: String

    @Option(name: .customLong("max-age"), help: ArgumentHelp("The oldest status taken as current (default 3000).", valueName: "ms"))
    var maximumAge: Int = 3000

    func run() throws {
        let files = try NodeFiles.of(config)
        guard let status = files.status() else {
            print("unhealthy: no status at \(files.statusPath) (the gateway has not run with this configuration)")
            throw ExitCode(1)
        }
        guard NodeFiles.lives(status.pid) else {
            print("unhealthy: the gateway (pid \(status.pid)) is not running")
            throw ExitCode(1)
        }
        let age = Int64(currentMilliseconds()) - Int64(status.timeMilliseconds)
        // abs: after the clock was set back, a status "from the future" proves nothing either.
        guard abs(age) <= maximumAge else {
            print("unhealthy: the gateway's status is \(age) ms old (it does not answer)")
            throw ExitCode(1)
        }
        guard status.healthy else {
            print("unhealthy: \(status.reason ?? "the gateway says so")")
            throw ExitCode(1)
        }
        print("healthy: \(status.role.rawValue), node \(status.node)")
    }
}
