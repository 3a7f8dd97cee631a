import Foundation

extension ConfigurationReader {
    /// The `redundancy:` section of a configuration file, read without the rest: keepalived runs the
    /// health check every second, and a plant's configuration with 100,000 points takes seconds to read
    /// whole; and the notify script must set the role even while someone is editing a broken point
    /// elsewhere in the file. Only a file whose section sits elsewhere (an included file) is read
    /// whole. nil: no section.
    public static func redundancySection(file path: String, extensions: Set<String> = []) throws(ConfigurationErrors) -> GatewayConfiguration.Redundancy? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationErrors(errors: [ConfigurationError(file: path, line: 0, "cannot read \(path)")])
        }
        guard let fragment = redundancyFragment(of: text) else {
            return try load(file: path, extensions: extensions).redundancy
        }
        return try parse(fragment, file: path, extensions: extensions).redundancy
    }

    /// The top-level `redundancy:` section of a configuration's text, alone, behind as many blank lines
    /// as stand before it (so messages keep the file's line numbers); nil when the text has none.
    public static func redundancyFragment(of text: String) -> String? {
        // "\r\n" is one Character in Swift: a CRLF file would not split into lines.
        var text = text.replacingOccurrences(of: "\r\n", with: "\n")
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var section: [Substring] = []
        var inside = false
        var blankBefore = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let topLevel = line.first.map { !$0.isWhitespace && $0 != "#" } ?? false
            if topLevel {
                if inside { break }
                inside = line.hasPrefix("redundancy:")
            }
            if inside { section.append(line) } else if section.isEmpty { blankBefore += 1 }
        }
        guard !section.isEmpty else { return nil }
        return String(repeating: "\n", count: blankBefore) + section.joined(separator: "\n")
    }
}
