import Foundation

/// Where the gateway keeps its event log when neither `--event-log` nor the configuration says.
public enum EventLogLocation {
    /// The file name inside the state folder.
    public static let fileName = "events.sqlite"

    /// `$STATE_DIRECTORY/events.sqlite` under systemd (the unit's StateDirectory=), else
    /// `$XDG_STATE_HOME/iec61850-gateway/events.sqlite`, else `~/.local/state/iec61850-gateway/events.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let state = environment["STATE_DIRECTORY"], !state.isEmpty {
            // systemd may list several folders separated by colons; the first is ours.
            let first = state.split(separator: ":").first.map(String.init) ?? state
            return (first as NSString).appendingPathComponent(fileName)
        }
        let base: String
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            base = xdg
        } else {
            base = ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/state")
        }
        return ((base as NSString).appendingPathComponent("iec61850-gateway") as NSString).appendingPathComponent(fileName)
    }

    /// Creates the folder of `path` if it is missing.
    public static func prepare(_ path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
}
