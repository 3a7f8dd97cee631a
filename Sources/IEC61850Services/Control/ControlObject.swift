import IEC61850Model

/// A controllable data object of the model (one with an `Oper` in FC CO) and where its attributes live.
package struct ControlObject: Sendable {
    /// `GenericIO/GGIO1.SPCSO1`.
    package let reference: String
    /// The logical device's instance (`GenericIO`), the logical node (`GGIO1`) and the object's name (`SPCSO1`).
    package let logicalDevice: String
    package let logicalNode: String
    package let name: String
    package let cdc: String
    package let ctlModel: AttributeHandle?
    package let sboTimeout: AttributeHandle?
    package let sboClass: AttributeHandle?
    package let operateTimeout: AttributeHandle?
    /// The status the common policy updates: stVal (or mxVal.f / mxVal.i for APC), q, t, origin, ctlNum.
    package let status: AttributeHandle?
    package let quality: AttributeHandle?
    package let time: AttributeHandle?
    package let originCategory: AttributeHandle?
    package let originIdentifier: AttributeHandle?
    package let controlNumber: AttributeHandle?
    /// The LN's Beh (or Mod) stVal, for blocked-by-mode; Loc stVal of the LN or of LLN0, for the switching hierarchy.
    package let behaviour: AttributeHandle?
    package let local: AttributeHandle?

    /// The controllable objects of a model, in model order: those whose `Oper` (FC CO) starts with `ctlVal`.
    package static func all(in model: IedModel) -> [ControlObject] {
        var objects: [ControlObject] = []
        for device in model.logicalDevices {
            let lln0Loc = model.handle(for: "\(device.inst)/LLN0.Loc.stVal")
            var seen: Set<String> = []
            // Only the first LN of a name is served (a model built in code may repeat one).
            for node in device.logicalNodes where seen.insert(node.name).inserted {
                for object in node.dataObjects {
                    guard case .attribute(let oper)? = object.child(named: "Oper"), oper.fc == .co, case .constructed(let components) = oper.content,
                        components.first?.name == "ctlVal"
                    else { continue }
                    let base = "\(device.inst)/\(node.name).\(object.name)"
                    func handle(_ path: String) -> AttributeHandle? { model.handle(for: "\(base).\(path)") }
                    objects.append(
                        ControlObject(
                            reference: base, logicalDevice: device.inst, logicalNode: node.name, name: object.name, cdc: object.cdc,
                            ctlModel: handle("ctlModel"), sboTimeout: handle("sboTimeout"), sboClass: handle("sboClass"),
                            operateTimeout: handle("operTimeout"), status: handle("stVal") ?? handle("mxVal.f") ?? handle("mxVal.i"),
                            quality: handle("q"), time: handle("t"), originCategory: handle("origin.orCat"), originIdentifier: handle("origin.orIdent"),
                            controlNumber: handle("ctlNum"),
                            behaviour: model.handle(for: "\(device.inst)/\(node.name).Beh.stVal") ?? model.handle(for: "\(device.inst)/\(node.name).Mod.stVal"),
                            local: model.handle(for: "\(device.inst)/\(node.name).Loc.stVal") ?? lln0Loc))
                }
            }
        }
        return objects
    }
}
