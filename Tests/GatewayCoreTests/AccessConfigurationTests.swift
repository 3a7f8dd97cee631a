import Testing

@testable import GatewayCore

@Suite("The server: access: section of a configuration")
struct AccessConfigurationTests {
    @Test("rules by password hash, certificate and network, with a default role")
    func parsed() throws {
        let configuration = try ConfigurationReader.parse(
            """
            server:
              access:
                default-role: viewer
                passwords:
                  - {role: operator, hash: "pbkdf2-sha256$100000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g="}
                certificates:
                  - {role: engineer, common-name: eng-laptop}
                  - {role: operator, subject: "CN=scada-1,O=Plant"}
                addresses:
                  - {role: viewer, network: 10.0.5.0/24}
            """, file: "plant.yaml")
        let access = try #require(configuration.server.access)
        #expect(access.defaultRole == "viewer")
        #expect(access.rules.map(\.kind) == ["hash", "common-name", "subject", "network"])
        #expect(access.rules.map(\.role) == ["operator", "engineer", "operator", "viewer"])
        #expect(access.rules[1].line == 7)
    }

    @Test("a plain-text password, an unknown role, a bad hash or network, and two matches in one rule are errors with their lines")
    func errors() {
        do {
            _ = try ConfigurationReader.parse(
                """
                server:
                  access:
                    default-role: admin
                    passwords:
                      - {role: operator, password: secret}
                      - {role: operator, hash: secret}
                    certificates:
                      - {role: boss, common-name: x}
                      - {role: viewer, common-name: x, subject: "CN=x"}
                    addresses:
                      - {role: viewer, network: 10.0.0.0/40}
                """, file: "plant.yaml")
            Issue.record("expected errors")
        } catch {
            let messages = error.errors.map(\.description).joined(separator: "\n")
            #expect(messages.contains("plant.yaml:3") && messages.contains("default-role must be viewer, operator, engineer or none"))
            #expect(messages.contains("plant.yaml:5") && messages.contains("never in plain text"))
            #expect(messages.contains("plant.yaml:6") && messages.contains("is not a password hash"))
            #expect(messages.contains("plant.yaml:8") && messages.contains("role must be viewer, operator or engineer, not 'boss'"))
            #expect(messages.contains("plant.yaml:9") && messages.contains("exactly one of subject, common-name, fingerprint"))
            #expect(messages.contains("plant.yaml:11") && messages.contains("network must be an address or ADDRESS/PREFIX"))
        }
    }
}
