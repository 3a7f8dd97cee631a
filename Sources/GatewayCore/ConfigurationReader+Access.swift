import Foundation
import Yams

extension ConfigurationReader {
    static let roles: Set = ["viewer", "operator", "engineer"]

    /// The `server: access:` section: a default role and rules that give roles to passwords (as salted
    /// hashes only), certificates and addresses.
    mutating func access(_ node: Node) -> GatewayConfiguration.Access? {
        guard let map = mapping(node, "server.access", keys: ["default-role", "passwords", "certificates", "addresses"]) else { return nil }
        var access = GatewayConfiguration.Access(location: GatewayConfiguration.Location(file: file, line: line(node)))
        if let role = string(map["default-role"], "server.access.default-role") {
            if role == "none" {
                access.defaultRole = nil
            } else if Self.roles.contains(role) {
                access.defaultRole = role
            } else {
                fail(line(map["default-role"]), "server.access.default-role must be viewer, operator, engineer or none, not '\(role)'")
            }
        }
        for (section, kinds) in [("passwords", ["hash"]), ("certificates", ["subject", "common-name", "fingerprint"]), ("addresses", ["network"])] {
            guard let list = map[section] else { continue }
            for item in sequence(list, "server.access.\(section)") {
                if let rule = accessRule(item, section: section, kinds: kinds) { access.rules.append(rule) }
            }
        }
        return access
    }

    private mutating func accessRule(_ node: Node, section: String, kinds: [String]) -> GatewayConfiguration.Access.Rule? {
        let what = "server.access.\(section)"
        guard let map = mapping(node, what, keys: Set(["role"] + kinds + (section == "passwords" ? ["password"] : []))) else { return nil }
        if map["password"] != nil {
            fail(
                line(map["password"]),
                "\(what): passwords are given as salted hashes (hash: pbkdf2-sha256$…), never in plain text; make one with: iec61850-gateway hash-password")
            return nil
        }
        guard let role = string(map["role"], "\(what).role", requiredIn: node) else { return nil }
        guard Self.roles.contains(role) else {
            fail(line(map["role"]), "\(what).role must be viewer, operator or engineer, not '\(role)'")
            return nil
        }
        let given = kinds.filter { map[$0] != nil }
        guard given.count == 1, let kind = given.first, let value = string(map[kind], "\(what).\(kind)") else {
            fail(line(node), "\(what): each rule needs exactly one of \(kinds.joined(separator: ", "))")
            return nil
        }
        switch kind {
        case "hash":
            let parts = value.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0] == "pbkdf2-sha256", Int(parts[1]) != nil else {
                fail(line(map[kind]), "\(what).hash is not a password hash (pbkdf2-sha256$ROUNDS$SALT$HASH; make one with: iec61850-gateway hash-password)")
                return nil
            }
        case "network":
            guard Self.isNetwork(value) else {
                fail(line(map[kind]), "\(what).network must be an address or ADDRESS/PREFIX (10.0.5.0/24, fd00::/8), not '\(value)'")
                return nil
            }
        case "fingerprint":
            guard value.lowercased().filter(\.isHexDigit).count == 64 else {
                fail(line(map[kind]), "\(what).fingerprint must be a SHA-256 fingerprint (64 hex digits, colons allowed)")
                return nil
            }
        default:
            break
        }
        return GatewayConfiguration.Access.Rule(role: role, kind: kind, value: value, line: line(node))
    }

    static func isNetwork(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let host = parts.first, !host.isEmpty else { return false }
        var v4 = in_addr()
        var v6 = in6_addr()
        let bits: Int
        if inet_pton(AF_INET, host, &v4) == 1 {
            bits = 32
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            bits = 128
        } else {
            return false
        }
        guard parts.count == 2 else { return true }
        return Int(parts[1]).map { (0...bits).contains($0) } ?? false
    }
}
