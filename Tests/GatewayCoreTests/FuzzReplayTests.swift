import Foundation
import Testing

/// Every kept fuzz input (seeds, and the inputs that once crashed) replayed through its target's replay
/// executable (the fuzz target built without libFuzzer): it must exit normally.
@Suite("Fuzz corpus regressions of the gateway's decoders", .timeLimit(.minutes(2)))
struct FuzzReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(
        "every kept input runs through its target without a trap",
        arguments: ["sessions", "mqtt-payload", "modbus", "configuration", "scl", "log-values"])
    func replay(target: String) throws {
        let executable = Self.root.appendingPathComponent(".build/debug/fuzz-\(target)")
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "build first: swift build --build-tests")
        let folder = Self.root.appendingPathComponent("Tests/Fixtures/fuzz/\(target)")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { folder.appendingPathComponent($0).path }
        #expect(!inputs.isEmpty)
        let process = Process()
        process.executableURL = executable
        process.arguments = inputs
        process.environment = ["SWIFT_BACKTRACE": "enable=no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "fuzz-\(target) ended with \(process.terminationStatus)")
    }
}
