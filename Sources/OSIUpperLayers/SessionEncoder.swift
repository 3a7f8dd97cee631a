import NIOCore

/// Writes the SPDUs a server sends.
public enum SessionEncoder {
    /// The prefix of every data-phase TSDU: GIVE TOKENS and DATA TRANSFER, both without parameters.
    public static let dataPrefix: UInt32 = 0x0100_0100

    /// ACCEPT (SI 14) answering `connect`, carrying `userData` (the CPA-PPDU).
    public static func writeAccept(_ connect: SessionConnectParameters, userData: ByteBuffer, into buffer: inout ByteBuffer) {
        var parameters = ByteBuffer()
        parameters.writeBytes([0x05, 0x06, 0x13, 0x01, connect.protocolOptions, 0x16, 0x01, connect.versionNumber])
        parameters.writeBytes([0x14, 0x02])
        parameters.writeInteger(UInt16(2))  // duplex functional unit only
        if let called = connect.calledSSEL {
            parameters.writeInteger(UInt8(52))
            parameters.writeInteger(UInt8(called.count))
            parameters.writeBytes(called)
        }
        writeSPDU(SessionPDU.acceptSI, parameters: parameters, userData: userData, into: &buffer)
    }

    /// DISCONNECT (SI 10) carrying the release response.
    public static func writeDisconnect(userData: ByteBuffer, into buffer: inout ByteBuffer) {
        writeSPDU(SessionPDU.disconnectSI, parameters: ByteBuffer(), userData: userData, into: &buffer)
    }

    /// ABORT (SI 25): transport disconnect flags `0B` (released, user abort, no reason) and the ARU-PPDU.
    public static func writeAbort(userData: ByteBuffer, into buffer: inout ByteBuffer) {
        var parameters = ByteBuffer()
        parameters.writeBytes([0x11, 0x01, 0x0B])
        writeSPDU(SessionPDU.abortSI, parameters: parameters, userData: userData, into: &buffer)
    }

    private static func writeSPDU(_ si: UInt8, parameters: ByteBuffer, userData: ByteBuffer, into buffer: inout ByteBuffer) {
        let userDataUnit = userData.readableBytes == 0 ? 0 : 1 + (userData.readableBytes < 255 ? 1 : 3) + userData.readableBytes
        buffer.writeInteger(si)
        buffer.writeSessionLength(parameters.readableBytes + userDataUnit)
        buffer.writeImmutableBuffer(parameters)
        if userDataUnit > 0 {
            buffer.writeInteger(UInt8(193))
            buffer.writeSessionLength(userData.readableBytes)
            buffer.writeImmutableBuffer(userData)
        }
    }
}
