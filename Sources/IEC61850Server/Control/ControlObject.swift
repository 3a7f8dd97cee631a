import IEC61850Model
import IEC61850Services

/// A controllable data object of the model (one with an `Oper` in FC CO) and where its attributes live.
struct ControlObject: Sendable {
    /// `GenericIO/GGIO1.SPCSO1`.
    let reference: String
    /// The MMS domain and the item of the object's CO part: `DEMOGenericIO`, `GGIO1$CO$SPCSO1`.
    let domain: String
    let item: String
    let cdc: String
    /// The Oper structure's component names (`ctlVal`, [`operTm`], `origin`, `ctlNum`, `T`, `Test`, `Check`).
    let operComponents: [String]
    /// ctlVal's type: one basic type, or an AnalogueValue's components.
    let controlValue: MMSVariable
    let ctlModel: AttributeHandle?
    let sboTimeout: AttributeHandle?
    let sboClass: AttributeHandle?
    let operateTimeout: AttributeHandle?
    /// The status the common policy updates: stVal (or mxVal.f / mxVal.i for APC), q, t, origin, ctlNum.
    let status: AttributeHandle?
    let quality: AttributeHandle?
    let time: AttributeHandle?
    let originCategory: AttributeHandle?
    let originIdentifier: AttributeHandle?
    let controlNumber: AttributeHandle?
    /// The LN's Beh (or Mod) stVal, for blocked-by-mode; Loc stVal of the LN or of LLN0, for the switching hierarchy.
    let behaviour: AttributeHandle?
    let local: AttributeHandle?

    /// The controllable objects of a model, with their MMS variables resolved.
    static func all(in model: IedModel, namespace: MMSNamespace) -> [ControlObject] {
        var objects: [ControlObject] = []
        for device in model.logicalDevices {
            let domain = device.name(iedName: model.name)
            let lln0Loc = model.handle(for: "\(device.inst)/LLN0.Loc.stVal")
            for node in device.logicalNodes {
                for object in node.dataObjects {
                    let item = "\(node.name)$CO$\(object.name)"
                    guard let oper = namespace.variable(domain: domain, item: item + "$Oper"), case .structure(let components) = oper.content,
                        let value = components.first, value.name == "ctlVal"
                    else { continue }
                    let base = "\(device.inst)/\(node.name).\(object.name)"
                    func handle(_ path: String) -> AttributeHandle? { model.handle(for: "\(base).\(path)") }
                    let status = handle("stVal") ?? handle("mxVal.f") ?? handle("mxVal.i")
                    objects.append(
                        ControlObject(
                            reference: base, domain: domain, item: item, cdc: object.cdc, operComponents: components.map(\.name), controlValue: value,
                            ctlModel: handle("ctlModel"), sboTimeout: handle("sboTimeout"), sboClass: handle("sboClass"), operateTimeout: handle("operTimeout"),
                            status: status,
                            quality: handle("q"), time: handle("t"), originCategory: handle("origin.orCat"), originIdentifier: handle("origin.orIdent"),
                            controlNumber: handle("ctlNum"),
                            behaviour: model.handle(for: "\(device.inst)/\(node.name).Beh.stVal") ?? model.handle(for: "\(device.inst)/\(node.name).Mod.stVal"),
                            local: model.handle(for: "\(device.inst)/\(node.name).Loc.stVal") ?? lln0Loc))
                }
            }
        }
        return objects
    }

    /// The control object reference a client sees (`DEMOGenericIO/GGIO1$CO$SPCSO1`), and of one service.
    var mmsReference: String { "\(domain)/\(item)" }
    func mmsReference(_ service: String) -> String { "\(domain)/\(item)$\(service)" }
}
