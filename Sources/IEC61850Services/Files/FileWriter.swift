#if canImport(Glibc)
    import Glibc
#endif

/// A file a client is storing: written to a hidden temporary file beside its destination, moved into
/// place by ``commit()`` (never over an existing file), removed by ``abandon()``.
///
/// Used on one association's event loop only.
package final class FileWriter {
    package let path: String
    private let temporary: String
    private var descriptor: Int32
    private let limit: Int
    package private(set) var written = 0

    /// - Parameters: folder: the destination's folder (a real path); name: the file's name in it.
    init(folder: String, name: String, limit: Int) throws(FileServiceError) {
        path = folder + "/" + name
        self.limit = limit
        temporary = folder + "/.\(name).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard descriptor >= 0 else { throw FileServiceError(.accessDenied, "cannot create a file beside \(path) (errno \(errno))") }
    }

    /// Appends a chunk; past the limit the file is refused (and abandoned).
    package func append(_ bytes: some Collection<UInt8>) throws(FileServiceError) {
        guard descriptor >= 0 else { throw FileServiceError(.other, "the file is closed") }
        guard written + bytes.count <= limit else {
            abandon()
            throw FileServiceError(.tooLarge, "the file is larger than the \(limit) octets the store takes")
        }
        let chunk = Array(bytes)
        var done = 0
        while done < chunk.count {
            let wrote = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, chunk.count - done) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else {
                abandon()
                throw FileServiceError(.other, "writing \(path) failed (errno \(errno))")
            }
            done += wrote
        }
        written += chunk.count
    }

    /// Moves the file into place; fails if a file of that name appeared meanwhile.
    package func commit() throws(FileServiceError) {
        guard descriptor >= 0 else { throw FileServiceError(.other, "the file is closed") }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        descriptor = -1
        // link() never replaces an existing file, unlike rename().
        guard synced, link(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw FileServiceError(error == EEXIST ? .exists : .other, "\(path) could not be stored (errno \(error))")
        }
        unlink(temporary)
    }

    /// Removes what was written. Doing it twice does nothing.
    package func abandon() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporary)
    }

    deinit { abandon() }
}
