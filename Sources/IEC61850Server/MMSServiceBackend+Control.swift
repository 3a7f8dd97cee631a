import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// The control model over MMS (PROTOCOL.md §6): writes of Oper, SBOw and Cancel, reads of SBO.
extension MMSServiceBackend {
    /// The controllable object and service a CO variable names (`…SPCSO1.Oper`), if it is one.
    func controlTarget(_ variable: MMSVariable) -> (Int, ControlCommand.Service)? {
        guard let target = control.target(variable), let service = ControlCommand.Service(rawValue: target.service) else { return nil }
        return (target.object, service)
    }

    /// A read of SBO (model 2): selects the object for this association when it can.
    func selectByRead(_ variable: MMSVariable, session: SessionContext) -> String? {
        guard let target = control.target(variable), target.service == "SBO" else { return nil }
        guard permitted(.control(service: "SBO"), control.objects[target.object].reference, session: session) else { return "" }
        return control.selectByRead(target.object, client: session.connection.id)
    }

    func writeControl(_ data: MMSData, service: ControlCommand.Service, object: Int, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer) {
        let send = session.send
        let answerLater = session.answerLater
        let allowed = permitted(.control(service: service.rawValue), control.objects[object].reference, session: session)
        let answer = control.handle(
            data, service: service, object: object, connection: session.connection, allowed: allowed, send: send,
            sendAfterAnswer: session.sendAfterAnswer,
            respondLater: { error in
                var response = ByteBuffer()
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &response) {
                    MMSResponseEncoder.writeWriteResponse(results: [error], into: &$0)
                }
                answerLater(response)
            })
        switch answer {
        case .accepted:
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { MMSResponseEncoder.writeWriteResponse(results: [nil], into: &$0) }
        case .refused(let error, let lastApplError):
            send(ControlReportEncoder.lastApplError(lastApplError))  // on the event loop: it goes out before the response
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                MMSResponseEncoder.writeWriteResponse(results: [error], into: &$0)
            }
        case .deferred:
            break
        }
    }
}
