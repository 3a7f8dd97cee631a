import BERCodec
import NIOCore

/// A ServiceError (`A2` in a confirmed-ErrorPDU): error class and code, with optional service-specific info.
public struct ServiceError: Error, Sendable, Equatable {
    public enum ErrorClass: UInt32, Sendable {
        case vmdState = 0
        case applicationReference = 1
        case definition = 2
        case resource = 3
        case service = 4
        case servicePreempt = 5
        case timeResolution = 6
        case access = 7
        case initiate = 8
        case conclude = 9
        case cancel = 10
        case file = 11
        case others = 12
    }

    public var errorClass: ErrorClass
    public var code: Int64
    /// serviceSpecificInformation for DeleteNamedVariableList: the number deleted (`A3 03 86 01 nn`).
    public var deleteNamedVariableListCount: Int64?

    public init(_ errorClass: ErrorClass, _ code: Int64, deleteNamedVariableListCount: Int64? = nil) {
        self.errorClass = errorClass
        self.code = code
        self.deleteNamedVariableListCount = deleteNamedVariableListCount
    }

    public static let objectNonExistent = ServiceError(.access, 2)
    public static let objectAccessDenied = ServiceError(.access, 3)
    public static let objectUndefined = ServiceError(.definition, 1)
    public static let objectExists = ServiceError(.definition, 5)
    public static let typeInconsistent = ServiceError(.definition, 4)
    public static let capabilityUnavailable = ServiceError(.resource, 4)
    public static let continuationInvalid = ServiceError(.service, 4)
    public static let objectStateConflict = ServiceError(.service, 2)

    /// Writes the ServiceError body (the content of `A2`, or of an initiate-Error's `AA`).
    public func encodeBody(into buffer: inout ByteBuffer) {
        buffer.writeBERElement(.contextConstructed(0)) { $0.writeBERInteger(.context(errorClass.rawValue), code) }
        if let count = deleteNamedVariableListCount {
            buffer.writeBERElement(.contextConstructed(3)) { $0.writeBERInteger(.context(6), count) }
        }
    }
}
