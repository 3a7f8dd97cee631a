import IEC61850Model
import IEC61850Services
import MMS
import NIOCore

/// The control model over MMS (PROTOCOL.md §6): writes of Oper, SBOw and Cancel, reads of SBO.
extension MMSServiceBackend {
    /// The controllable object and service a CO variable names (`…SPCSO1.Oper`), if it is one.
    package func controlTarget(_ variable: MMSVariable) -> (Int, ControlCommand.Service)? {
        guard let target = controlTargets.target(variable), let service = ControlCommand.Service(rawValue: target.service) else { return nil }
        return (target.object, service)
    }

    /// A read of SBO (model 2): selects the object for this association when it can.
    package func selectByRead(_ variable: MMSVariable, session: SessionContext) -> String? {
        guard let target = controlTargets.target(variable), target.service == "SBO" else { return nil }
        guard permitted(.control(service: "SBO"), control.objects[target.object].reference, session: session) else { return "" }
        let selected = control.selectByRead(target.object, client: session.connection.id)
        return selected ? controlTargets.targets[target.object].mmsReference : ""
    }

    package func writeControl(
        _ data: MMSData, service: ControlCommand.Service, object: Int, invokeID: UInt32, session: SessionContext, into buffer: inout ByteBuffer
    ) {
        let send = session.send
        let sendAfterAnswer = session.sendAfterAnswer
        let answerLater = session.answerLater
        let targets = controlTargets
        let target = targets.targets[object]
        let command = ControlCommand(data, service: service, object: target)
        let allowed = permitted(.control(service: service.rawValue), control.objects[object].reference, session: session)
        let responder = ControlResponder(
            lastApplError: { error in send(ControlReportEncoder.lastApplError(targets.lastApplError(error))) },
            terminate: { error in
                sendAfterAnswer(
                    ControlReportEncoder.commandTermination(
                        domain: target.domain, item: target.item + "$Oper", operate: data, error: error.map(targets.lastApplError)))
            },
            respondLater: { failed in
                var response = ByteBuffer()
                MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &response) {
                    MMSResponseEncoder.writeWriteResponse(results: [failed ? .objectAccessDenied : nil], into: &$0)
                }
                answerLater(response)
            })
        let answer = control.handle(
            command?.request, service: service, object: object, connection: session.connection, allowed: allowed, responder: responder)
        switch answer {
        case .accepted:
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) { MMSResponseEncoder.writeWriteResponse(results: [nil], into: &$0) }
        case .refused(let busy, let lastApplError):
            send(ControlReportEncoder.lastApplError(targets.lastApplError(lastApplError)))  // on the event loop: it goes out before the response
            MMSResponseEncoder.writeConfirmedResponse(invokeID: invokeID, into: &buffer) {
                MMSResponseEncoder.writeWriteResponse(results: [busy ? .temporarilyUnavailable : .objectAccessDenied], into: &$0)
            }
        case .deferred:
            break
        }
    }
}
