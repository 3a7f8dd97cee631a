import Testing

@testable import GatewayCore

@Suite("The server: tls: section of a configuration")
struct TLSConfigurationTests {
    @Test("files are resolved against the configuration's folder; ca, crl and allowed-certificates take one or a list")
    func parsed() throws {
        let configuration = try ConfigurationReader.parse(
            """
            server:
              port: 10102
              tls:
                port: 13782
                certificate: tls/gateway.pem
                key: tls/gateway.key
                ca: [tls/ca-1.pem, /etc/pki/ca-2.pem]
                crl: tls/ca.crl
                allowed-certificates: tls/scada.pem
                only: true
            """, file: "/etc/gw/plant.yaml")
        let tls = try #require(configuration.server.tls)
        #expect(tls.port == 13782)
        #expect(tls.certificate == "/etc/gw/tls/gateway.pem" && tls.key == "/etc/gw/tls/gateway.key")
        #expect(tls.caFiles == ["/etc/gw/tls/ca-1.pem", "/etc/pki/ca-2.pem"])
        #expect(tls.crlFiles == ["/etc/gw/tls/ca.crl"] && tls.allowedCertificates == ["/etc/gw/tls/scada.pem"])
        #expect(tls.only == true && tls.location.line == 4)  // the section's first line
    }

    @Test("a missing certificate, key or trust anchor and an unknown setting name the line")
    func errors() {
        do {
            _ = try ConfigurationReader.parse(
                """
                server:
                  tls:
                    port: 99999
                    key: k.pem
                    ciphers: all
                """, file: "plant.yaml")
            Issue.record("expected errors")
        } catch {
            let messages = error.errors.map(\.description).joined(separator: "\n")
            #expect(messages.contains("plant.yaml:3"))
            #expect(messages.contains("server.tls.port"))
            #expect(messages.contains("unknown setting 'ciphers' in server.tls"))
            #expect(messages.contains("server.tls.certificate is missing"))
            #expect(messages.contains("server.tls needs ca"))
        }
    }
}
