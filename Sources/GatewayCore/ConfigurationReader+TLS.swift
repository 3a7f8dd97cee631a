import Yams

extension ConfigurationReader {
    /// The `server: tls:` section. A file setting takes one path or a list of paths.
    mutating func tls(_ node: Node, folder: String) -> GatewayConfiguration.TLS? {
        let keys: Set = ["port", "certificate", "key", "ca", "allowed-certificates", "crl", "only", "require-client-certificate"]
        guard let map = mapping(node, "server.tls", keys: keys) else { return nil }
        var tls = GatewayConfiguration.TLS(location: GatewayConfiguration.Location(file: file, line: line(node)))
        tls.port = integer(map["port"], "server.tls.port", in: 0...65535)
        tls.certificate = string(map["certificate"], "server.tls.certificate", requiredIn: node).map { resolve($0, folder) }
        tls.key = string(map["key"], "server.tls.key", requiredIn: node).map { resolve($0, folder) }
        tls.caFiles = paths(map["ca"], "server.tls.ca", folder: folder)
        tls.allowedCertificates = paths(map["allowed-certificates"], "server.tls.allowed-certificates", folder: folder)
        tls.crlFiles = paths(map["crl"], "server.tls.crl", folder: folder)
        tls.only = boolean(map["only"], "server.tls.only")
        tls.requireClientCertificate = boolean(map["require-client-certificate"], "server.tls.require-client-certificate")
        if tls.requireClientCertificate != false, tls.caFiles.isEmpty, tls.allowedCertificates.isEmpty {
            fail(line(node), "server.tls needs ca (the CA certificates that sign client certificates) or allowed-certificates")
        }
        return tls
    }

    /// One path, or a list of them, each resolved against the configuration file's folder.
    private mutating func paths(_ node: Node?, _ what: String, folder: String) -> [String] {
        guard let node else { return [] }
        if case .sequence = node {
            return sequence(node, what).compactMap { string($0, what) }.map { resolve($0, folder) }
        }
        return string(node, what).map { [resolve($0, folder)] } ?? []
    }
}
