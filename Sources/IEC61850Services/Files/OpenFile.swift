#if canImport(Glibc)
    import Glibc
#endif

/// A file opened by a FileOpen, read chunk by chunk until closed. Counts against the store's open files
/// until closed or released; a file on disk is read with `pread` from its descriptor, which `close`
/// (or the end of the association, which releases it) gives back.
///
/// Used on one association's event loop only.
package final class OpenFile {
    private enum Content {
        case disk(descriptor: Int32)
        case memory([UInt8])
    }

    private var content: Content?
    package let size: UInt64
    package let modified: UInt64
    /// The next octet to read.
    package private(set) var position: UInt64
    private let release: () -> Void

    init(descriptor: Int32, size: UInt64, modified: UInt64, position: UInt64, release: @escaping () -> Void) {
        content = .disk(descriptor: descriptor)
        self.size = size
        self.modified = modified
        self.position = position
        self.release = release
    }

    init(bytes: [UInt8], modified: UInt64, position: UInt64, release: @escaping () -> Void) {
        content = .memory(bytes)
        size = UInt64(bytes.count)
        self.modified = modified
        self.position = position
        self.release = release
    }

    /// Up to `maximum` octets from the current position (at least one while any are left), and whether
    /// more follow.
    package func read(maximum: Int) throws(FileServiceError) -> (bytes: [UInt8], moreFollows: Bool) {
        guard let content else { throw FileServiceError(.other, "the file is closed") }
        let count = Int(min(UInt64(max(1, maximum)), size - min(size, position)))
        var bytes = [UInt8](repeating: 0, count: count)
        switch content {
        case .memory(let all):
            bytes.withUnsafeMutableBufferPointer { out in
                _ = out.initialize(fromContentsOf: all[Int(position)..<Int(position) + count])
            }
        case .disk(let descriptor):
            var done = 0
            while done < count {
                let got = bytes.withUnsafeMutableBytes { out in
                    pread(descriptor, out.baseAddress! + done, count - done, off_t(position) + off_t(done))
                }
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    if got == 0 { break }  // the file shrank meanwhile: what is there
                    throw FileServiceError(.other, "reading the file failed (errno \(errno))")
                }
                done += got
            }
            bytes.removeLast(count - done)
        }
        position += UInt64(bytes.count)
        return (bytes, position < size && !bytes.isEmpty)
    }

    /// Closes the file; later reads fail. Closing twice does nothing.
    package func close() {
        guard let content else { return }
        if case .disk(let descriptor) = content { Glibc.close(descriptor) }
        self.content = nil
        release()
    }

    deinit { close() }
}
