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
    func resolve(_ components: [Substring]) -> String? {
        let joined = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
        guard let real = Self.realPath(joined), real == root || real.hasPrefix(root + "/") else { return nil }
        return real
    }

    /// The entries of the directory at `path` (a resolved path), each confined to the root; directories
    /// end in `/`. Sockets, devices and the like are left out.
    func entries(of path: String) -> [FileEntry]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var entries: [FileEntry] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name != ".", name != "..", let real = Self.realPath(path + "/" + name), real == root || real.hasPrefix(root + "/"),
                let status = Self.status(real)
            else { continue }
            switch status.kind {
            case .directory: entries.append(FileEntry(name: name + "/", size: 0, modified: status.modified))
            case .regular: entries.append(FileEntry(name: name, size: status.size, modified: status.modified))
            case .other: continue
            }
        }
        return entries
    }

    struct Status {
        enum Kind { case regular, directory, other }
        let kind: Kind
        let size: UInt64
        let modified: UInt64
    }

    static func status(_ path: String) -> Status? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        let kind: Status.Kind = type == S_IFREG ? .regular : type == S_IFDIR ? .directory : .other
        let modified = UInt64(max(0, info.st_mtim.tv_sec)) * 1000 + UInt64(max(0, info.st_mtim.tv_nsec)) / 1_000_000
        return Status(kind: kind, size: UInt64(max(0, info.st_size)), modified: modified)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
