#if canImport(Glibc)
    import Glibc
#endif

/// The file store's folder on disk, every name confined to it: resolved with `realpath`, so neither
/// `..` nor a symbolic link leads out of it.
struct DiskFolder: Sendable {
    /// The folder's real path.
    let root: String

    init?(path: String) {
        guard let real = Self.realPath(path) else { return nil }
        root = real
    }

    /// The real path of `components` below the root, or nil when there is nothing there or it lies
    /// outside the root.
    func resolve(_ components: [String]) -> String? {
        let joined = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
        guard let real = Self.realPath(joined), contains(real) else { return nil }
        return real
    }

    /// Whether `path` is the root or below it, compared as octets (Swift's `hasPrefix` would take a
    /// canonically equivalent, differently encoded folder for the root).
    func contains(_ path: String) -> Bool {
        path.utf8.elementsEqual(root.utf8) || path.utf8.starts(with: (root + "/").utf8)
    }

    /// The entries of the directory at `path` (a resolved path), each confined to the root; directories
    /// end in `/`. Sockets, devices and the like are left out.
    func entries(of path: String) -> [FileEntry]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var entries: [FileEntry] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            // Leaves out names that leave the folder, and files being stored (`.NAME.….partial`).
            guard name != ".", name != "..", !(name.hasPrefix(".") && name.hasSuffix(".partial")), let real = Self.realPath(path + "/" + name),
                contains(real), let status = Self.status(real)
            else { continue }
            switch status.kind {
            case .directory: entries.append(FileEntry(name: name + "/", size: 0, modified: status.modified))
            case .regular: entries.append(FileEntry(name: name, size: status.size, modified: status.modified))
            case .other, .link: continue
            }
        }
        return entries
    }

    struct Status {
        enum Kind { case regular, directory, link, other }
        let kind: Kind
        let size: UInt64
        let modified: UInt64

        init(_ info: stat) {
            let type = info.st_mode & S_IFMT
            kind = type == S_IFREG ? .regular : type == S_IFDIR ? .directory : type == S_IFLNK ? .link : .other
            size = UInt64(max(0, info.st_size))
            // Times far outside 1970…2554 (a bogus mtime from an archive) are clamped rather than overflow.
            let seconds = UInt64(clamping: max(0, info.st_mtim.tv_sec))
            let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            let fraction = min(999, UInt64(max(0, info.st_mtim.tv_nsec)) / 1_000_000)
            modified = overflow || milliseconds > UInt64.max - fraction ? UInt64.max : milliseconds + fraction
        }
    }

    /// What is at `path`: what a symbolic link points to, or (`following: false`) the link itself.
    static func status(_ path: String, following: Bool = true) -> Status? {
        var info = stat()
        guard (following ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        return Status(info)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
