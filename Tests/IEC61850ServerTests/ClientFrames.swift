import BERCodec
import MMS
import NIOCore
import TestSupport

/// Builds the frames an MMS client sends, for driving the server in memory.
enum ClientFrames {
    static let connectionRequest = hexBuffer("03 00 00 16 11 E0 0000 0001 00 C0 01 0D C2 02 00 01 C1 02 00 01")

    /// TPKT + COTP DT (EOT) around a TSDU.
    static func frame(_ tsdu: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeBytes([0x03, 0x00])
        out.writeInteger(UInt16(tsdu.readableBytes + 7))
        out.writeBytes([0x02, 0xF0, 0x80])
        out.writeImmutableBuffer(tsdu)
        return out
    }

    /// The session CONNECT of PROTOCOL.md §1.6, optionally with the password mechanism, framed.
    static func connect(password: String? = nil, initiate: ByteBuffer = walkThroughInitiate, mmsContext: Int64 = 3, acseContext: Int64 = 1) -> ByteBuffer {
        var aarq = ByteBuffer()
        aarq.writeBERElement(.applicationConstructed(0)) { apdu in
            apdu.writeBERElement(.contextConstructed(1)) { $0.writeBERPrimitive(.objectIdentifier, bytes: [0x28, 0xCA, 0x22, 0x02, 0x03]) }
            if let password {
                apdu.writeBytes([0x8A, 0x02, 0x04, 0x80])
                apdu.writeBERPrimitive(.context(11), bytes: [0x52, 0x03, 0x01])
                apdu.writeBERElement(.contextConstructed(12)) { $0.writeBERString(.context(0), password) }
            }
            apdu.writeBERElement(.contextConstructed(30)) { list in
                list.writeBERElement(.external) { external in
                    external.writeBERInteger(.integer, mmsContext)
                    external.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(initiate) }
                }
            }
        }
        var cp = ByteBuffer()
        cp.writeBERElement(.set) { set in
            set.writeBytes([0xA0, 0x03, 0x80, 0x01, 0x01])
            set.writeBERElement(.contextConstructed(2)) { parameters in
                parameters.writeBytes(hexBytes("81 04 00000001 82 04 00000001"))
                parameters.writeBERElement(.contextConstructed(4)) { list in
                    for (id, syntax) in [(acseContext, [UInt8]([0x52, 0x01, 0x00, 0x01])), (mmsContext, [0x28, 0xCA, 0x22, 0x02, 0x01])] {
                        list.writeBERElement(.sequence) { item in
                            item.writeBERInteger(.integer, id)
                            item.writeBERPrimitive(.objectIdentifier, bytes: syntax)
                            item.writeBytes([0x30, 0x04, 0x06, 0x02, 0x51, 0x01])
                        }
                    }
                }
                parameters.writeBERElement(.applicationConstructed(1)) { userData in
                    userData.writeBERElement(.sequence) { pdv in
                        pdv.writeBERInteger(.integer, acseContext)
                        pdv.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(aarq) }
                    }
                }
            }
        }
        var spdu = ByteBuffer()
        let parameters = hexBytes("05 06 13 01 00 16 01 02 14 02 00 02 33 02 00 01 34 02 00 01")
        let userDataUnit = 1 + (cp.readableBytes < 255 ? 1 : 3) + cp.readableBytes
        spdu.writeInteger(UInt8(13))
        let total = parameters.count + userDataUnit
        if total < 255 { spdu.writeInteger(UInt8(total)) } else { spdu.writeBytes([0xFF]); spdu.writeInteger(UInt16(total)) }
        spdu.writeBytes(parameters)
        spdu.writeInteger(UInt8(193))
        if cp.readableBytes < 255 { spdu.writeInteger(UInt8(cp.readableBytes)) } else { spdu.writeBytes([0xFF]); spdu.writeInteger(UInt16(cp.readableBytes)) }
        spdu.writeImmutableBuffer(cp)
        return frame(spdu)
    }

    static let walkThroughInitiate = hexBuffer(
        "A8 26 80 03 00 FD E8 81 01 05 82 01 05 83 01 0A A4 16 80 01 01 81 03 05 F1 00 82 0C 03 EE 1C 00 00 00 02 00 00 40 FD 18")

    /// A data-phase frame carrying an MMS PDU in presentation context `context`.
    static func data(_ mms: ByteBuffer, context: Int64 = 3) -> ByteBuffer {
        var tsdu = ByteBuffer(bytes: [0x01, 0x00, 0x01, 0x00])
        tsdu.writeBERElement(.applicationConstructed(1)) { list in
            list.writeBERElement(.sequence) { pdv in
                pdv.writeBERInteger(.integer, context)
                pdv.writeBERElement(.contextConstructed(0)) { $0.writeImmutableBuffer(mms) }
            }
        }
        return frame(tsdu)
    }

    /// A confirmed request whose service `service` writes.
    static func request(_ invokeID: Int64, _ service: (inout ByteBuffer) -> Void) -> ByteBuffer {
        data(requestPDU(invokeID, service))
    }

    /// A confirmed request PDU, not framed.
    static func requestPDU(_ invokeID: Int64, _ service: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var pdu = ByteBuffer()
        pdu.writeBERElement(.contextConstructed(0)) { request in
            request.writeBERInteger(.integer, invokeID)
            service(&request)
        }
        return pdu
    }

    static func read(_ invokeID: Int64, domain: String, item: String, alternateAccess: [UInt8]? = nil) -> ByteBuffer {
        data(readPDU(invokeID, domain, item, alternateAccess: alternateAccess))
    }

    /// A read request PDU, not framed.
    static func readPDU(_ invokeID: Int64, _ domain: String, _ item: String, alternateAccess: [UInt8]? = nil) -> ByteBuffer {
        requestPDU(invokeID) { body in
            body.writeBERElement(.contextConstructed(4)) { read in
                read.writeBERElement(.contextConstructed(1)) { specification in
                    specification.writeBERElement(.contextConstructed(0)) { list in
                        list.writeBERElement(.sequence) { entry in
                            entry.writeBERElement(.contextConstructed(0)) { ObjectName.domainSpecific(domain: domain, item: item).encode(into: &$0) }
                            if let alternateAccess { entry.writeBytes(alternateAccess) }
                        }
                    }
                }
            }
        }
    }

    static func write(_ invokeID: Int64, domain: String, item: String, value: MMSData) -> ByteBuffer {
        request(invokeID) { body in
            body.writeBERElement(.contextConstructed(5)) { write in
                VariableAccessSpecification.listOfVariable([VariableSpecification(name: .domainSpecific(domain: domain, item: item))]).encode(into: &write)
                write.writeBERElement(.contextConstructed(0)) { value.encode(into: &$0) }
            }
        }
    }

    static func getNameList(_ invokeID: Int64, objectClass: Int64, domain: String?, continueAfter: String? = nil) -> ByteBuffer {
        request(invokeID) { body in
            body.writeBERElement(.contextConstructed(1)) { request in
                request.writeBERElement(.contextConstructed(0)) { $0.writeBERInteger(.context(0), objectClass) }
                request.writeBERElement(.contextConstructed(1)) { scope in
                    if let domain { scope.writeBERString(.context(1), domain) } else { scope.writeBytes([0x80, 0x00]) }
                }
                if let continueAfter { request.writeBERString(.context(2), continueAfter) }
            }
        }
    }

    static let releaseRequest = frame(hexBuffer("09 10 C1 0E 61 0C 30 0A 02 01 01 A0 05 62 03 80 01 00"))
}
