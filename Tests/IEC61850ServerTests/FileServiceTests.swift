import BERCodec
import Foundation
import IEC61850Model
import MMS
import NIOCore
import TestSupport
import Testing

@testable import IEC61850Server
@testable import MMSMapping

/// The file services over a folder on disk and the server's own CID, through the whole pipeline.
@Suite("File services")
struct FileServiceTests {
    /// What a file service answered: a response's service element, or a ServiceError's class and code.
    enum Answer {
        case response(BERElement)
        case error(errorClass: Int64, code: Int64)
        case reject
    }

    static func answer(_ pdu: ByteBuffer) throws -> Answer {
        var reader = BERReader(pdu)
        let element = try reader.readElement()
        var inner = element.children
        switch element.tag {
        case .contextConstructed(1):
            _ = try inner.readElement(.integer)
            return .response(try inner.readElement())
        case .contextConstructed(2):
            _ = try inner.readElement()
            var error = try inner.readElement(.contextConstructed(2)).children
            var classes = try error.readElement(.contextConstructed(0)).children
            let code = try classes.readElement()
            return .error(errorClass: Int64(code.tag.number), code: try code.integerValue())
        default:
            return .reject
        }
    }

    static func fileName(_ name: String, into buffer: inout ByteBuffer) { buffer.writeBERString(.graphicString, name) }

    static func directory(_ id: Int64, _ specification: String?, continueAfter: String? = nil) -> ByteBuffer {
        ClientFrames.request(id) { body in
            body.writeBERElement(.contextConstructed(77)) { request in
                if let specification { request.writeBERElement(.contextConstructed(0)) { fileName(specification, into: &$0) } }
                if let continueAfter { request.writeBERElement(.contextConstructed(1)) { fileName(continueAfter, into: &$0) } }
            }
        }
    }

    static func open(_ id: Int64, _ name: String, position: Int64 = 0) -> ByteBuffer {
        ClientFrames.request(id) { body in
            body.writeBERElement(.contextConstructed(72)) { request in
                request.writeBERElement(.contextConstructed(0)) { fileName(name, into: &$0) }
                request.writeBERInteger(.context(1), position)
            }
        }
    }

    static func read(_ id: Int64, frsm: Int64) -> ByteBuffer { ClientFrames.request(id) { $0.writeBERInteger(.context(73), frsm) } }
    static func close(_ id: Int64, frsm: Int64) -> ByteBuffer { ClientFrames.request(id) { $0.writeBERInteger(.context(74), frsm) } }
    static func delete(_ id: Int64, _ name: String) -> ByteBuffer {
        ClientFrames.request(id) { body in body.writeBERElement(.contextConstructed(76)) { fileName(name, into: &$0) } }
    }

    /// A folder with `files` (name → content) and the association to a server serving it.
    static func serving(
        _ files: [String: [UInt8]], pduSize: Int = 65_000, allowsDelete: Bool = false, allowsWrite: Bool = false,
        configure: (URL) throws -> Void = { _ in }
    ) throws -> (InMemoryAssociation, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, content) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content).write(to: url)
        }
        try configure(folder)
        var configuration = IedServerConfiguration()
        configuration.maximumMMSPDUSize = pduSize
        configuration.files = FileServiceSettings(root: folder.path, allowsDelete: allowsDelete, allowsWrite: allowsWrite, maximumWriteSize: 10_000)
        let association = try InMemoryAssociation(configuration: configuration)
        try association.associate()
        return (association, folder)
    }

    /// Downloads a file with FileOpen, FileRead until no more follow, FileClose.
    static func download(_ association: InMemoryAssociation, _ name: String) throws -> [UInt8] {
        guard case .response(let opened) = try answer(association.exchange(open(1, name))) else { throw TestFailure("FileOpen of \(name) refused") }
        var fields = opened.children
        let frsm = try fields.readElement(.context(0)).integerValue()
        var content: [UInt8] = []
        var invoke: Int64 = 2
        while true {
            guard case .response(let chunk) = try answer(association.exchange(read(invoke, frsm: frsm))) else { throw TestFailure("FileRead refused") }
            invoke += 1
            var parts = chunk.children
            content += try parts.readElement(.context(0)).content.readableBytesView
            let more = try parts.readOptional(.context(1))?.booleanValue() ?? true
            if !more { break }
        }
        guard case .response = try answer(association.exchange(close(invoke, frsm: frsm))) else { throw TestFailure("FileClose refused") }
        return content
    }

    /// The names of a listing, following moreFollows with continueAfter; and how many pages it took.
    static func list(_ association: InMemoryAssociation, _ specification: String?) throws -> (names: [String], pages: Int) {
        var names: [String] = []
        var pages = 0
        var after: String?
        repeat {
            guard case .response(let response) = try answer(association.exchange(directory(Int64(pages + 1), specification, continueAfter: after)))
            else { throw TestFailure("FileDirectory refused") }
            pages += 1
            var fields = response.children
            var wrapper = try fields.readElement(.contextConstructed(0)).children
            var entries = try wrapper.readElement(.sequence).children
            while !entries.isAtEnd {
                var entry = try entries.readElement(.sequence).children
                var name = try entry.readElement(.contextConstructed(0)).children
                names.append(try name.readElement(.graphicString).stringValue)
            }
            let more = try fields.readOptional(.context(1))?.booleanValue() ?? false
            after = more ? names.last : nil
        } while after != nil
        return (names, pages)
    }

    static func error(_ pdu: ByteBuffer) throws -> Int64? {
        guard case .error(let errorClass, let code) = try answer(pdu), errorClass == 11 else { return nil }
        return code
    }

    @Test("the folder and the served model's CID are listed; a file and the CID download byte for byte")
    func listAndDownload() throws {
        let content = (0..<5_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let (association, _) = try Self.serving(["COMTRADE/fault1.cfg": Array("cfg".utf8), "notes.txt": content], pduSize: 1_000)
        #expect(try Self.list(association, nil).names == ["COMTRADE/", "SCL/", "notes.txt"])
        #expect(try Self.list(association, "*").names == ["COMTRADE/", "SCL/", "notes.txt"])
        #expect(try Self.list(association, "COMTRADE").names == ["COMTRADE/fault1.cfg"])
        #expect(try Self.list(association, "/SCL/").names == ["SCL/IED1.cid"])
        #expect(try Self.download(association, "notes.txt") == content)  // 5,000 octets in PDUs of 1,000
        let cid = try Self.download(association, "/SCL/IED1.cid")
        #expect(cid == Array(SCLWriter.icd(association.backend.model, description: "served by this IED").utf8))
        let served = association.backend.model
        let loaded = try SCLLoader().load(data: Data(cid), fileName: "IED1.cid")
        // The same IED, devices, nodes and attributes (a model built in code gets its enumerations' types named).
        #expect(loaded.name == served.name && loaded.slotTypes.count == served.slotTypes.count)
        #expect(loaded.logicalDevices.map { $0.logicalNodes.map(\.name) } == served.logicalDevices.map { $0.logicalNodes.map(\.name) })
    }

    @Test("a long listing comes in PDU-sized pages with moreFollows and continueAfter, none missing")
    func paging() throws {
        var files: [String: [UInt8]] = [:]
        for index in 0..<120 { files["record-\(String(format: "%04d", index))-with-a-long-descriptive-name.dat"] = [UInt8(index)] }
        let (association, _) = try Self.serving(files, pduSize: 1_000)
        let (names, pages) = try Self.list(association, nil)
        #expect(names == ["SCL/"] + files.keys.sorted())
        #expect(pages > 5)
    }

    @Test("names that leave the folder, unknown files and a position past the end get the MMS file errors")
    func refusals() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("outside-\(UUID().uuidString)")
        try Data("secret".utf8).write(to: outside)
        let (association, folder) = try Self.serving(["a.txt": [1, 2, 3]]) { folder in
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("escape"), withDestinationURL: outside)
        }
        #expect(try Self.error(association.exchange(Self.open(1, "../\(outside.lastPathComponent)"))) == 3)  // filename-syntax-error
        #expect(try Self.error(association.exchange(Self.open(2, "a.txt\\..\\x"))) == 3)
        #expect(try Self.error(association.exchange(Self.open(3, "escape"))) == 7)  // a link out of the folder: not there
        #expect(try Self.error(association.exchange(Self.open(4, "missing.txt"))) == 7)  // file-non-existent
        #expect(try Self.error(association.exchange(Self.open(5, "a.txt", position: 4))) == 5)  // position-invalid
        #expect(try Self.error(association.exchange(Self.directory(6, "nowhere"))) == 7)
        #expect(try Self.error(association.exchange(Self.read(7, frsm: 99))) == 0)  // no such open file
        #expect(!(try Self.list(association, nil).names.contains("escape")))
        #expect(association.backend.files?.openCount == 0)
        _ = folder
    }

    @Test("names are checked as octets: a '/' before a combining mark still separates; links are deleted, not their targets")
    func octetsAndLinks() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("target-\(UUID().uuidString)")
        try Data("keep".utf8).write(to: outside)
        let (association, folder) = try Self.serving(["LOG1.txt": [1], ".x.123-4.partial": [2]], allowsDelete: true, allowsWrite: true) { folder in
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.txt"), withDestinationURL: outside)
        }
        #expect(try Self.error(association.exchange(Self.obtain(1, source: "a", destination: "../\u{301}x"))) == 3)
        #expect(try Self.error(association.exchange(Self.open(2, "../\u{301}x"))) == 3)
        #expect(try Self.list(association, nil).names == ["LOG1.txt", "SCL/"], "a file named like a mount is listed; partial files are not")
        guard case .response = try Self.answer(association.exchange(Self.delete(3, "link.txt"))) else { throw TestFailure("delete refused") }
        #expect(FileManager.default.fileExists(atPath: outside.path), "the link's target is not deleted")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("link.txt").path)) == nil)
    }

    @Test("an association may keep five files open; its files close when it ends")
    func openFileLimits() throws {
        let (association, _) = try Self.serving(["a.txt": [1]])
        for id in 1...5 {
            guard case .response = try Self.answer(association.exchange(Self.open(Int64(id), "a.txt"))) else { throw TestFailure("open \(id)") }
        }
        guard case .error(3, 4) = try Self.answer(association.exchange(Self.open(6, "a.txt"))) else {  // resource capability-unavailable
            throw TestFailure("a sixth open file was not refused")
        }
        #expect(association.backend.files?.openCount == 5)
        try association.channel.close().wait()  // the association is lost mid-transfer
        #expect(association.backend.files?.openCount == 0)
    }

    @Test("FileDelete: refused unless enabled, and then only with the configure right")
    func deleting() throws {
        let (readOnly, readOnlyFolder) = try Self.serving(["a.txt": [1]])
        #expect(try Self.error(readOnly.exchange(Self.delete(1, "a.txt"))) == 6)  // file-access-denied
        #expect(FileManager.default.fileExists(atPath: readOnlyFolder.appendingPathComponent("a.txt").path))

        let (writable, folder) = try Self.serving(["a.txt": [1], "b.txt": [2]], allowsDelete: true)
        #expect(try Self.error(writable.exchange(Self.delete(1, "SCL/IED1.cid"))) == 6)
        guard case .response = try Self.answer(writable.exchange(Self.delete(2, "a.txt"))) else { throw TestFailure("delete refused") }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("a.txt").path))
        #expect(try Self.error(writable.exchange(Self.delete(3, "a.txt"))) == 7)
    }

    @Test("without file services the requests are rejected and not offered")
    func off() throws {
        let association = try InMemoryAssociation()
        try association.associate()
        guard case .reject = try Self.answer(association.exchange(Self.directory(1, nil))) else { throw TestFailure("not rejected") }
        #expect(!association.backend.offeredServices.contains(ServicesSupported.fileDirectory))
        let (serving, _) = try Self.serving([:])
        #expect(serving.backend.offeredServices.contains(ServicesSupported.fileOpen))
        #expect(!serving.backend.offeredServices.contains(ServicesSupported.fileDelete))
    }

    // MARK: ObtainFile (SetFile): the server fetches a file from the client

    static func obtain(_ id: Int64, source: String, destination: String) -> ByteBuffer {
        ClientFrames.request(id) { body in
            body.writeBERElement(.contextConstructed(46)) { request in
                request.writeBERElement(.contextConstructed(1)) { fileName(source, into: &$0) }
                request.writeBERElement(.contextConstructed(2)) { fileName(destination, into: &$0) }
            }
        }
    }

    /// The client's confirmed response to the server's request `id`.
    static func answer(_ id: Int64, _ service: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var pdu = ByteBuffer()
        pdu.writeBERElement(.contextConstructed(1)) { response in
            response.writeBERInteger(.integer, id)
            service(&response)
        }
        return ClientFrames.data(pdu)
    }

    /// The server's request in a PDU it sent: its invoke id and service element.
    static func serverRequest(_ pdu: ByteBuffer) throws -> (Int64, BERElement) {
        var reader = BERReader(pdu)
        let element = try reader.readElement(.contextConstructed(0))
        var fields = element.children
        return (try fields.readElement(.integer).integerValue(), try fields.readElement())
    }

    /// Plays the client's side of an ObtainFile of `content` in chunks of `chunk` octets; returns the
    /// server's answer to the ObtainFile.
    static func serve(_ content: [UInt8], chunk: Int, to association: InMemoryAssociation, request: ByteBuffer) throws -> Answer {
        var (id, element) = try serverRequest(association.exchange(request))
        #expect(element.tag == .contextConstructed(72))
        var offset = 0
        var pdu = try association.exchange(
            answer(id) { body in
                body.writeBERElement(.contextConstructed(72)) { open in
                    open.writeBERInteger(.context(0), 7)
                    open.writeBERElement(.contextConstructed(1)) { $0.writeBERUnsigned(.context(0), UInt64(content.count)) }
                }
            })
        while true {
            (id, element) = try serverRequest(pdu)
            guard element.tag == .context(73) else { break }
            let part = content[offset..<min(content.count, offset + chunk)]
            offset += part.count
            pdu = try association.exchange(
                answer(id) { body in
                    body.writeBERElement(.contextConstructed(73)) { read in
                        read.writeBERPrimitive(.context(0), bytes: part)
                        if offset >= content.count { read.writeBERBoolean(.context(1), false) }
                    }
                })
        }
        #expect(element.tag == .context(74), "FileClose after the last FileRead")
        return try Self.answer(association.exchange(answer(id) { $0.writeBERNull(.context(74)) }))
    }

    @Test("ObtainFile: the server fetches the client's file in reads and stores it under its name")
    func obtainFile() throws {
        let content = (0..<2_500).map { UInt8(truncatingIfNeeded: $0 * 3) }
        let (association, folder) = try Self.serving(["sub/keep.txt": [1]], allowsWrite: true)
        #expect(association.backend.offeredServices.contains(ServicesSupported.obtainFile))
        let result = try Self.serve(content, chunk: 1_000, to: association, request: Self.obtain(1, source: "local.bin", destination: "sub/new.bin"))
        guard case .response(let element) = result, element.tag == .context(46) else { throw TestFailure("ObtainFile not answered: \(result)") }
        #expect(FileManager.default.contents(atPath: folder.appendingPathComponent("sub/new.bin").path) == Data(content))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("sub").path).sorted() == ["keep.txt", "new.bin"])
    }

    @Test("ObtainFile is refused unless enabled, over an existing file, past the size limit, and leaves nothing when the client fails")
    func obtainFileRefusals() throws {
        let (readOnly, _) = try Self.serving([:])
        #expect(try Self.error(readOnly.exchange(Self.obtain(1, source: "a", destination: "b.txt"))) == 6)

        let (association, folder) = try Self.serving(["exists.txt": [1]], allowsWrite: true)
        #expect(try Self.error(association.exchange(Self.obtain(1, source: "a", destination: "exists.txt"))) == 8)  // duplicate-filename
        #expect(try Self.error(association.exchange(Self.obtain(2, source: "a", destination: "../out.txt"))) == 3)
        #expect(try Self.error(association.exchange(Self.obtain(3, source: "a", destination: "SCL/IED1.cid"))) == 6)
        let tooLarge = try Self.serve(
            Array(repeating: 1, count: 12_000), chunk: 4_000, to: association, request: Self.obtain(4, source: "a", destination: "big.bin"))
        guard case .error(11, 9) = tooLarge else { throw TestFailure("a file over the limit was not refused: \(tooLarge)") }  // insufficient-space

        // The client cannot open its file: file-non-existent, nothing stored.
        let (id, _) = try Self.serverRequest(association.exchange(Self.obtain(5, source: "missing", destination: "c.txt")))
        var error = ByteBuffer()
        error.writeBERElement(.contextConstructed(2)) { pdu in
            pdu.writeBERInteger(.context(0), id)
            pdu.writeBERElement(.contextConstructed(2)) { ServiceError(.file, 7).encodeBody(into: &$0) }
        }
        #expect(try Self.error(association.exchange(ClientFrames.data(error))) == 7)

        // The client stops answering: after 10 s the ObtainFile fails and nothing is stored.
        _ = try association.exchange(Self.obtain(6, source: "a", destination: "e.txt"))
        association.channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        let late = try association.drain()
        #expect(late.count == 1)
        #expect(try late.first.map(Self.error) == 0)  // file-other

        // Lost mid-transfer: the partial file goes.
        _ = try association.exchange(Self.obtain(7, source: "a", destination: "d.txt"))
        try association.channel.close().wait()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["exists.txt"])
    }
}
