import Foundation
import IEC61850Model
import IEC61850Server
import IEC61850TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Our own work per read, without sockets and the kernel: the whole pipeline (framing, association,
/// MMS decode, model lookup, encode) in an in-memory channel, timed with the thread's CPU clock.
enum InMemoryBenchmark {
    static func run(model: IedModel, item: String, reads: Int) throws -> Double {
        let server = IedServer(model: model)
        let connection = try InMemoryConnection(server: server)
        for frame in LoadClient.association { connection.receive(frame) }
        let request = LoadClient.readRequest(invokeID: 1, domain: "DEMOGenericIO", item: item)
        guard connection.receive(request).count > 20 else { throw BenchError("in-memory read got no answer") }
        let start = threadCPUSeconds()
        for _ in 0..<reads { _ = connection.receive(request) }
        return (threadCPUSeconds() - start) / Double(reads) * 1e6
    }

    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
