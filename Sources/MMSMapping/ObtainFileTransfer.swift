import IEC61850Services
import MMS
import NIOCore

/// One ObtainFile (the ACSI SetFile) in progress: the server fetches a file from its client with
/// FileOpen, FileRead… and FileClose requests of its own on the same association, and answers the
/// client's ObtainFile once the file is stored (PROTOCOL.md §9.2).
package struct ObtainFileTransfer {
    package enum Step: Equatable {
        case opening
        case reading(frsmID: Int32)
        case closing
    }

    /// The client's ObtainFile, answered at the end.
    package let answerInvokeID: UInt32
    package let source: String
    package let writer: FileWriter
    package var step = Step.opening
    /// The invoke id of the request of ours the client is to answer now.
    package var awaiting: UInt32
    /// Why the file will not be stored (the client's file is closed first).
    package var failure: FileServiceError?
}

/// An association's file fetching: at most one ObtainFile at a time, the invoke ids of the server's own
/// requests, and the timer that ends a transfer whose client stops answering.
///
/// Used on the association's event loop only.
package final class ObtainFileSession {
    package var transfer: ObtainFileTransfer?
    private var lastInvokeID: UInt32 = 0
    package var cancelTimer: () -> Void = {}

    package init() {}

    package func nextInvokeID() -> UInt32 {
        lastInvokeID &+= 1
        return lastInvokeID
    }

    /// The association ended: what was written so far is removed.
    package func abandon() {
        cancelTimer()
        transfer?.writer.abandon()
        transfer = nil
    }

    deinit { abandon() }
}
