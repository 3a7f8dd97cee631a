import ArgumentParser
import Foundation
import GatewayCore

/// The redundancy state folder of a configuration, as the `role` and `health` commands find it.
enum NodeFiles {
    static func of(_ config: String) throws -> RedundancyFiles {
        let section: GatewayConfiguration.Redundancy?
        do {
            section = try ConfigurationReader.redundancySection(file: config, extensions: RunCommand.configurationExtensions)
        } catch {
            throw CommandFailure("\(error)")
        }
        guard let section else { throw CommandFailure("\(config) has no redundancy: section; the gateway is not one of a pair") }
        return RedundancyFiles(section)
    }

    /// The status of a gateway that runs now.
    static func running(_ files: RedundancyFiles) -> NodeStatus? {
        guard let status = files.status(), lives(status.pid) else { return nil }
        return status
    }

    /// Whether a process lives (it may belong to another user).
    static func lives(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
