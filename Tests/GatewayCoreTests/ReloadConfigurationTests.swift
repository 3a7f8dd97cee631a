import GatewayCore
import Testing

@Suite("Reload: which changed settings need a restart")
struct ReloadConfigurationTests {
    static func parse(_ text: String) throws -> GatewayConfiguration { try ConfigurationReader.parse(text, file: "/etc/gw/gateway.yaml") }

    static let base = """
        model: {scl: plant.icd}
        server:
          port: 102
          access:
            default-role: viewer
            addresses:
              - {network: 10.0.0.0/8, role: operator}
        http: {port: 8102}
        modbus:
          - {name: meter, tcp: 10.0.0.5:502}
        points:
          - {ref: LD/MMXU1.TotW, modbus: {device: meter, table: input, address: 0, type: float32}}
        """

    @Test("devices, the broker and points change freely; lines moving do not count")
    func fieldChanges() throws {
        let old = try Self.parse(Self.base)
        let moved =
            "# a comment that moves every line\n\n" + Self.base.replacingOccurrences(of: "10.0.0.5:502", with: "10.0.0.6:502")
            + "\n  - {ref: LD/MMXU1.Hz, modbus: {device: meter, table: input, address: 2, type: float32}}\n"
        #expect(old.restartOnlyChanges(in: try Self.parse(moved)) == [])
    }

    @Test("the model, the server's settings, the HTTP side and the event log need a restart, by name")
    func restartChanges() throws {
        let old = try Self.parse(Self.base)
        let changed =
            Self.base.replacingOccurrences(of: "plant.icd", with: "other.icd").replacingOccurrences(of: "port: 102", with: "port: 10102")
            .replacingOccurrences(of: "role: operator", with: "role: engineer").replacingOccurrences(of: "port: 8102", with: "port: 8103")
            + "\nevent-log: {max-events: 10}\nfiles: {log-days: 2}\n"
        #expect(old.restartOnlyChanges(in: try Self.parse(changed)) == ["model", "server.port", "server.access", "http", "event-log", "files"])
        let renamed = Self.base.replacingOccurrences(of: "port: 102", with: "port: 102\n  identity: {vendor: ACME}\n  event-loops: 2")
        #expect(old.restartOnlyChanges(in: try Self.parse(renamed)) == ["server.event-loops", "server.identity"])
    }
}
