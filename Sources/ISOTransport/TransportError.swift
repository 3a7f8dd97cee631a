/// A violation of TPKT or COTP rules by the peer. Each case has a stable code.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidTPKTHeader
    case invalidTPKTLength(Int)
    case frameTooLarge(Int, maximum: Int)
    case invalidTPDU(String)
    case unsupportedTPDU(UInt8)
    case reassemblyOverflow(Int)

    public var code: Int {
        switch self {
        case .invalidTPKTHeader: 101
        case .invalidTPKTLength: 102
        case .frameTooLarge: 103
        case .invalidTPDU: 104
        case .unsupportedTPDU: 105
        case .reassemblyOverflow: 106
        }
    }

    public var description: String {
        switch self {
        case .invalidTPKTHeader: "TP-101 TPKT header is not 03 00"
        case .invalidTPKTLength(let length): "TP-102 TPKT length \(length) is too small"
        case .frameTooLarge(let length, let maximum): "TP-103 TPKT frame of \(length) octets exceeds \(maximum)"
        case .invalidTPDU(let why): "TP-104 malformed COTP TPDU: \(why)"
        case .unsupportedTPDU(let code): "TP-105 unsupported COTP TPDU code \(code)"
        case .reassemblyOverflow(let size): "TP-106 reassembled TSDU exceeds \(size) octets"
        }
    }
}
