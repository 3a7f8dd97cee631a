/// The files one association has open, by their FRSM identifier. Bounded per association; everything
/// still open is closed when the association ends.
///
/// Used on the association's event loop only.
package final class AssociationFiles {
    private var files: [Int32: OpenFile] = [:]
    private var nextID: Int32 = 1
    private let maximum: Int

    package init(maximum: Int) {
        self.maximum = maximum
    }

    /// Opens through `open` and returns the new file's identifier.
    package func add(_ open: () throws(FileServiceError) -> OpenFile) throws(FileServiceError) -> (Int32, OpenFile) {
        guard files.count < maximum else { throw FileServiceError(.busy, "this association has \(maximum) files open, its limit") }
        let file = try open()
        while files[nextID] != nil { nextID = nextID == .max ? 1 : nextID + 1 }
        let id = nextID
        nextID = nextID == .max ? 1 : nextID + 1
        files[id] = file
        return (id, file)
    }

    package func file(_ id: Int32) -> OpenFile? { files[id] }

    /// Closes one file; false when there is none of that identifier.
    package func close(_ id: Int32) -> Bool {
        guard let file = files.removeValue(forKey: id) else { return false }
        file.close()
        return true
    }

    package var count: Int { files.count }

    /// Closes every file still open (the association ended).
    package func closeAll() {
        for file in files.values { file.close() }
        files.removeAll()
    }

    deinit { closeAll() }
}
