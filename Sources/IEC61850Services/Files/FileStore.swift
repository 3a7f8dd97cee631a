import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the file services offer, and their limits.
public struct FileServiceSettings: Sendable {
    /// The folder on disk whose files clients may list and read; nil for only the server's own files.
    public var root: String?
    /// Whether FileDelete may remove files from `root` (for associations whose access policy has the
    /// configure right: the engineer role). Off by default: the store is read-only.
    public var allowsDelete: Bool
    /// Whether clients may store files in `root` (ObtainFile, the ACSI SetFile), for associations with
    /// the configure right. Off by default.
    public var allowsWrite: Bool
    /// The largest file a client may store, in octets.
    public var maximumWriteSize: Int
    /// Files one association may have open at once (libIEC61850 allows 5).
    public var maximumOpenPerAssociation: Int
    /// Files all associations together may have open at once.
    public var maximumOpenTotal: Int

    public init(
        root: String? = nil, allowsDelete: Bool = false, allowsWrite: Bool = false, maximumWriteSize: Int = 64 << 20, maximumOpenPerAssociation: Int = 5,
        maximumOpenTotal: Int = 64
    ) {
        self.root = root
        self.allowsDelete = allowsDelete
        self.allowsWrite = allowsWrite
        self.maximumWriteSize = maximumWriteSize
        self.maximumOpenPerAssociation = maximumOpenPerAssociation
        self.maximumOpenTotal = maximumOpenTotal
    }
}

/// The files a server offers over the file services: a folder on disk, confined to it, and folders of
/// files the server makes (``FileSource``), mounted by name (`SCL`). Names are `/`-separated paths
/// relative to the store (a leading `/` is ignored; `*` alone is the root); `..`, `.`, backslashes and
/// NULs are refused. A listing shows one folder: its files, and its folders with a `/` at the end.
public final class FileStore: Sendable {
    public let settings: FileServiceSettings
    private let disk: DiskFolder?
    private let sources: [String: any FileSource]
    private let openFiles = Atomic<Int>(0)
    /// When the store was made: the time its mounted folders show.
    private let created: UInt64

    /// - Throws: ``FileServiceError`` when `settings.root` is set but is not a folder.
    public init(settings: FileServiceSettings, sources: [String: any FileSource] = [:], now: UInt64) throws(FileServiceError) {
        self.settings = settings
        if let root = settings.root {
            guard let folder = DiskFolder(path: root), DiskFolder.status(folder.root)?.kind == .directory else {
                throw FileServiceError(.nonExistent, "the file service folder \(root) does not exist or is not a folder")
            }
            disk = folder
        } else {
            disk = nil
        }
        self.sources = sources
        created = now
    }

    /// The entries of a directory (`nil` or empty: the store's root), or the one entry of a file, named
    /// as the client will ask for them: with the directory's path in front.
    public func list(_ specification: String?) throws(FileServiceError) -> [FileEntry] {
        let components = try Self.components(of: specification ?? "")
        let prefix = components.isEmpty ? "" : components.joined(separator: "/") + "/"
        if components.isEmpty {
            // A folder of the disk named like a mounted one is hidden by it.
            var entries = disk.flatMap { $0.entries(of: $0.root) }?.filter { !$0.name.hasSuffix("/") || sources[String($0.name.dropLast())] == nil } ?? []
            entries += sources.keys.map { FileEntry(name: $0 + "/", size: 0, modified: created) }
            return entries.sorted { $0.name < $1.name }
        }
        if let source = sources[components[0]] {
            let inner = components.dropFirst().joined(separator: "/")
            let all = source.entries()
            if inner.isEmpty { return all.map { FileEntry(name: prefix + $0.name, size: $0.size, modified: $0.modified) }.sorted { $0.name < $1.name } }
            guard let entry = all.first(where: { $0.name == inner }) else { throw Self.missing(specification) }
            return [FileEntry(name: String(prefix.dropLast()), size: entry.size, modified: entry.modified)]
        }
        guard let disk, let path = disk.resolve(components), let status = DiskFolder.status(path) else { throw Self.missing(specification) }
        switch status.kind {
        case .directory:
            let entries = disk.entries(of: path) ?? []
            return entries.map { FileEntry(name: prefix + $0.name, size: $0.size, modified: $0.modified) }.sorted { $0.name < $1.name }
        case .regular:
            return [FileEntry(name: String(prefix.dropLast()), size: status.size, modified: status.modified)]
        case .other, .link:
            throw Self.missing(specification)
        }
    }

    /// Opens a file for reading from `position`; it counts against the store's open files until closed.
    package func open(_ name: String, at position: UInt64) throws(FileServiceError) -> OpenFile {
        let components = try Self.components(of: name)
        guard !components.isEmpty else { throw FileServiceError(.nonExistent, "'\(name)' is the file store's root, not a file") }
        try reserve()
        let release: () -> Void = { [self] in _ = openFiles.subtract(1, ordering: .relaxed) }
        do throws(FileServiceError) {
            let path: String
            if let source = sources[components[0]] {
                switch source.contents(of: components.dropFirst().joined(separator: "/")) {
                case .bytes(let bytes, let modified):
                    guard position <= UInt64(bytes.count) else { throw Self.beyondEnd(name, size: UInt64(bytes.count)) }
                    return OpenFile(bytes: bytes, modified: modified, position: position, release: release)
                case .file(let written): path = written
                case nil: throw Self.missing(name)
                }
            } else {
                guard let disk, let resolved = disk.resolve(components) else { throw Self.missing(name) }
                path = resolved
            }
            // Opened first, then looked at through the descriptor: one stat, of the file actually read.
            // Non-blocking: a FIFO put there must not hold the event loop.
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            guard descriptor >= 0 else {
                throw errno == ENOENT ? Self.missing(name) : FileServiceError(.other, "'\(name)' cannot be opened (errno \(errno))")
            }
            var opened = stat()
            guard fstat(descriptor, &opened) == 0, case let status = DiskFolder.Status(opened), status.kind == .regular else {
                Glibc.close(descriptor)
                throw Self.missing(name)
            }
            guard position <= status.size else {
                Glibc.close(descriptor)
                throw Self.beyondEnd(name, size: status.size)
            }
            return OpenFile(descriptor: descriptor, size: status.size, modified: status.modified, position: position, release: release)
        } catch {
            release()
            throw error
        }
    }

    /// Deletes a file of the folder on disk (never one the server makes, never a directory).
    package func delete(_ name: String, permitted: Bool) throws(FileServiceError) {
        let components = try Self.components(of: name)
        guard settings.allowsDelete else { throw FileServiceError(.accessDenied, "deleting files is not enabled on this server") }
        guard permitted else { throw FileServiceError(.accessDenied, "this association may not delete files") }
        guard let first = components.first, sources[first] == nil else {
            throw FileServiceError(.accessDenied, "'\(name)' is made by the server and cannot be deleted")
        }
        // The last name itself (a symbolic link is deleted, not what it points to), in a folder inside.
        guard let disk, let folder = disk.resolve(Array(components.dropLast())), let last = components.last else { throw Self.missing(name) }
        let path = folder + "/" + last
        guard disk.contains(path), let status = DiskFolder.status(path, following: false), status.kind == .regular || status.kind == .link else {
            throw Self.missing(name)
        }
        guard unlink(path) == 0 else {
            let error = errno
            let denied = error == EACCES || error == EPERM || error == EROFS
            throw FileServiceError(denied ? .accessDenied : .other, "'\(name)' cannot be deleted (errno \(error))")
        }
    }

    /// Starts storing a file a client sends as `name` in the folder on disk: written to a hidden file
    /// beside it and renamed when complete, so a transfer that fails leaves nothing behind. A file of
    /// that name must not exist; its folder must.
    package func beginWrite(_ name: String, permitted: Bool) throws(FileServiceError) -> FileWriter {
        let components = try Self.components(of: name)
        guard settings.allowsWrite, let disk else { throw FileServiceError(.accessDenied, "storing files is not enabled on this server") }
        guard permitted else { throw FileServiceError(.accessDenied, "this association may not store files") }
        guard let last = components.last, sources[components[0]] == nil else {
            throw FileServiceError(.accessDenied, "'\(name)' is not a file name of the store's folder")
        }
        guard let folder = disk.resolve(Array(components.dropLast())), DiskFolder.status(folder)?.kind == .directory else {
            throw Self.missing(components.dropLast().joined(separator: "/"))
        }
        let path = folder + "/" + last
        guard disk.contains(path) else { throw FileServiceError(.nameSyntax, "'\(name)' is not a name inside the store's folder") }
        guard DiskFolder.status(path, following: false) == nil else { throw FileServiceError(.exists, "'\(name)' exists already") }
        return try FileWriter(folder: folder, name: last, limit: settings.maximumWriteSize)
    }

    /// Whether the store has a folder on disk (deleting and storing files need one).
    public var hasFolder: Bool { disk != nil }

    /// Files open on all associations together.
    public var openCount: Int { openFiles.load(ordering: .relaxed) }

    private func reserve() throws(FileServiceError) {
        let limit = settings.maximumOpenTotal
        var current = openFiles.load(ordering: .relaxed)
        while true {
            guard current < limit else { throw FileServiceError(.busy, "the server has \(limit) files open, its limit") }
            let (exchanged, original) = openFiles.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// The path's components, or the reason it is refused. Split and compared as UTF-8 octets, as the
    /// kernel reads the path: a `/` followed by a combining mark is one character to Swift but still a
    /// separator to the file system.
    static func components(of name: String) throws(FileServiceError) -> [String] {
        if name == "*" || name == "\\" { return [] }  // the root, as libIEC61850's clients ask for it
        let octets = Array(name.utf8)
        guard !octets.contains(0), !octets.contains(UInt8(ascii: "\\")) else {
            throw FileServiceError(.nameSyntax, "a file name may not contain a NUL or a backslash")
        }
        let parts = octets.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        guard !parts.contains(where: { $0.elementsEqual([0x2E]) || $0.elementsEqual([0x2E, 0x2E]) }) else {
            throw FileServiceError(.nameSyntax, "'\(name)': a file name may not contain '.' or '..'")
        }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }

    private static func missing(_ name: String?) -> FileServiceError {
        FileServiceError(.nonExistent, "no file or directory '\(name ?? "")'")
    }

    private static func beyondEnd(_ name: String, size: UInt64) -> FileServiceError {
        FileServiceError(.positionInvalid, "'\(name)' has \(size) octets; the initial position is past its end")
    }
}
