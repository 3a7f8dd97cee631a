/// A folder of files the server makes rather than finds on disk: the served model as a CID, the event
/// log's exports. Mounted into a ``FileStore`` under a folder name (`SCL`, `LOG`).
public protocol FileSource: Sendable {
    /// The files, by name within the folder, with their sizes and times. Called on an event loop: it
    /// must answer at once (a source that takes time to make its files makes them in the background).
    func entries() -> [FileEntry]
    /// A file's content, or nil when there is no such file.
    func contents(of name: String) -> FileContent?
}

/// What a ``FileSource`` serves for a name: octets it holds, or a file on disk it wrote.
public enum FileContent: Sendable {
    case bytes([UInt8], modified: UInt64)
    /// A file outside the store's folder, read as it is when opened.
    case file(path: String)
}

/// A file as a directory listing shows it.
public struct FileEntry: Sendable, Equatable {
    /// The name within its folder; a folder's name ends in `/`.
    public var name: String
    public var size: UInt64
    /// Last modification, UTC milliseconds since 1970.
    public var modified: UInt64

    public init(name: String, size: UInt64, modified: UInt64) {
        self.name = name
        self.size = size
        self.modified = modified
    }
}

/// A fixed set of files made once (the CID of the model being served).
public struct StaticFileSource: FileSource {
    private let files: [String: [UInt8]]
    private let modified: UInt64

    public init(files: [String: [UInt8]], modified: UInt64) {
        self.files = files
        self.modified = modified
    }

    public func entries() -> [FileEntry] {
        files.map { FileEntry(name: $0.key, size: UInt64($0.value.count), modified: modified) }
    }

    public func contents(of name: String) -> FileContent? { files[name].map { .bytes($0, modified: modified) } }
}
