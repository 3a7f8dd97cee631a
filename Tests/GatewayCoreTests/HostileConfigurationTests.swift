import Foundation
import Testing

@testable import GatewayCore

@Suite("Configuration files that would hang or crash a naive reader")
struct HostileConfigurationTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func errors(_ load: () throws(ConfigurationErrors) -> GatewayConfiguration) -> [String] {
        do {
            _ = try load()
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test("an include cycle (a includes b includes a, or a file itself) is an error naming the chain, not a stack overflow")
    func includeCycle() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "include: [b.yaml]\n".write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "include: [a.yaml]\n".write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try "include: [./self.yaml]\n".write(to: folder.appendingPathComponent("self.yaml"), atomically: true, encoding: .utf8)
        let cycle = Self.errors { () throws(ConfigurationErrors) in try ConfigurationReader.load(file: folder.appendingPathComponent("a.yaml").path) }
        #expect(cycle.count == 1)
        #expect(cycle.first?.contains("b.yaml:1") == true && cycle.first?.contains("include cycle") == true)
        let selfInclude = Self.errors { () throws(ConfigurationErrors) in
            try ConfigurationReader.load(file: folder.appendingPathComponent("self.yaml").path)
        }
        #expect(selfInclude.first?.contains("include cycle") == true)
    }

    @Test("includes nested past the limit are an error")
    func includeDepth() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for level in 0..<12 {
            try "include: [f\(level + 1).yaml]\n".write(to: folder.appendingPathComponent("f\(level).yaml"), atomically: true, encoding: .utf8)
        }
        try "points: []\n".write(to: folder.appendingPathComponent("f12.yaml"), atomically: true, encoding: .utf8)
        let deep = Self.errors { () throws(ConfigurationErrors) in try ConfigurationReader.load(file: folder.appendingPathComponent("f0.yaml").path) }
        #expect(deep.first?.contains("nest deeper than 8") == true)
    }

    @Test("aliases that repeat each other (a billion laughs) are refused before they are walked")
    func aliasBomb() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "points: *a9\n"
        let started = ContinuousClock.now
        let errors = Self.errors { () throws(ConfigurationErrors) in try ConfigurationReader.parse(text, file: "bomb.yaml") }
        #expect(errors.first?.contains("bomb.yaml:2") == true && errors.first?.contains("aliases (*name) are not supported") == true)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("aliases are found where a node starts, not in quotes, comments or the middle of a value")
    func aliasScanner() {
        #expect(ConfigurationReader.firstAlias(in: "a: 1\nb: *x\n") == 2)
        #expect(ConfigurationReader.firstAlias(in: "a:\n  - *x\n") == 2)
        #expect(ConfigurationReader.firstAlias(in: "a: [1, *x]\n") == 1)
        #expect(ConfigurationReader.firstAlias(in: "topic: plant/*/power\nq: \"*not\"\nr: '*not'\n# *comment\ns: x # *comment\n") == nil)
        #expect(ConfigurationReader.firstAlias(in: "q: \"a \\\" *still quoted\"\nr: 'it''s *quoted'\n") == nil)
    }

    @Test("a file past the size limit is refused without being read")
    func hugeFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("huge.yaml").path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(ConfigurationReader.maximumFileSize) + 1)  // sparse: no disk used
        try handle.close()
        let errors = Self.errors { () throws(ConfigurationErrors) in try ConfigurationReader.load(file: path) }
        #expect(errors.first?.contains("at most 128 MiB") == true)
    }
}
