import Foundation

/// The IPv4 addresses this machine's interfaces hold now: where a node of a redundant pair looks for
/// the pair's virtual address before it takes the active role.
public enum LocalAddresses {
    /// Whether an interface holds `address` (IPv4, dotted); false for text that is no address.
    public static func holds(_ address: String) -> Bool {
        var wanted = in_addr()
        guard inet_pton(AF_INET, address, &wanted) == 1 else { return false }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return false }
        defer { freeifaddrs(list) }
        var entry: UnsafeMutablePointer<ifaddrs>? = first
        while let current = entry {
            if let socketAddress = current.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET) {
                let held = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                if held == wanted.s_addr { return true }
            }
            entry = current.pointee.ifa_next
        }
        return false
    }
}
