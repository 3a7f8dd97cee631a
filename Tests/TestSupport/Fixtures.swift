import Foundation

/// Paths of the files the tests read, found from this source file's location.
public enum Fixtures {
    /// The repository root.
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The demo SCL model.
    public static var demoSCL: String { root.appendingPathComponent("mappings/demo/demo.icd").path }

    /// A file under `Tests/Fixtures`.
    public static func path(_ name: String) -> String { root.appendingPathComponent("Tests/Fixtures/\(name)").path }
}

/// One PDU of a tshark capture in `Tests/Fixtures/vectors`.
public struct CapturedPDU: Sendable {
    public var clientToServer: Bool
    public var stream: Int
    public var summary: String
    public var bytes: [UInt8]
}

/// Reads a capture file: entries of a `C->S stream N: summary` line followed by hex lines.
public func capturedPDUs(_ file: String) throws -> [CapturedPDU] {
    let text = try String(contentsOfFile: Fixtures.path("vectors/\(file)"), encoding: .utf8)
    var entries: [CapturedPDU] = []
    var current: CapturedPDU?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("C->S") || line.hasPrefix("S->C") {
            if let current { entries.append(current) }
            let header = line.split(separator: ":", maxSplits: 1)
            let stream = Int(header[0].split(separator: " ").last ?? "0") ?? 0
            current = CapturedPDU(
                clientToServer: line.hasPrefix("C->S"), stream: stream, summary: header.count > 1 ? String(header[1]).trimmingCharacters(in: .whitespaces) : "",
                bytes: [])
        } else if !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix("..."), var entry = current {
            entry.bytes += hexBytes(String(line))
            current = entry
        } else if line.isEmpty, let finished = current {
            entries.append(finished)
            current = nil
        }
    }
    if let current { entries.append(current) }
    return entries
}
