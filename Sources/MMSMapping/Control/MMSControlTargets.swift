import IEC61850Model
import IEC61850Services

/// The controllable objects as MMS names them: each object's CO variables (`GGIO1$CO$SPCSO1$Oper`, `…$SBOw`,
/// `…$Cancel`, `…$SBO`), resolved once so that a command costs no string work.
package struct MMSControlTargets: Sendable {
    /// One object's MMS side, at the object's index among the services' controllable objects.
    package struct Target: Sendable {
        /// The domain and the item of the object's CO part: `DEMOGenericIO`, `GGIO1$CO$SPCSO1`.
        package let domain: String
        package let item: String
        /// The Oper structure's component names (`ctlVal`, [`operTm`], `origin`, `ctlNum`, `T`, `Test`, `Check`).
        package let operComponents: [String]
        /// ctlVal's type: one basic type, or an AnalogueValue's components.
        package let controlValue: MMSVariable

        /// The control object reference a client sees (`DEMOGenericIO/GGIO1$CO$SPCSO1`), and of one service.
        package var mmsReference: String { "\(domain)/\(item)" }
        package func mmsReference(_ service: String) -> String { "\(domain)/\(item)$\(service)" }

        package init(domain: String, item: String, operComponents: [String], controlValue: MMSVariable) {
            self.domain = domain
            self.item = item
            self.operComponents = operComponents
            self.controlValue = controlValue
        }
    }

    package let targets: [Target]
    /// The object and service (`Oper`, `SBOw`, `Cancel`, `SBO`) of each CO variable.
    private let byVariable: [MMSVariable: (object: Int, service: String)]

    package init(objects: [ControlObject], model: IedModel, namespace: MMSNamespace) {
        var targets: [Target] = []
        var byVariable: [MMSVariable: (object: Int, service: String)] = [:]
        for (index, object) in objects.enumerated() {
            let domain = model.logicalDevice(named: object.logicalDevice[...])?.name(iedName: model.name) ?? object.logicalDevice
            let item = "\(object.logicalNode)$CO$\(object.name)"
            // The services found the Oper in the model; the namespace holds the same structure.
            guard let oper = namespace.variable(domain: domain, item: item + "$Oper"), case .structure(let components) = oper.content,
                let value = components.first
            else { preconditionFailure("controllable object \(object.reference) has no Oper variable") }
            targets.append(Target(domain: domain, item: item, operComponents: components.map(\.name), controlValue: value))
            for service in ["Oper", "SBOw", "Cancel", "SBO"] {
                if let variable = namespace.variable(domain: domain, item: "\(item)$\(service)") { byVariable[variable] = (index, service) }
            }
        }
        self.targets = targets
        self.byVariable = byVariable
    }

    /// The object and service a CO variable stands for.
    package func target(_ variable: MMSVariable) -> (object: Int, service: String)? { byVariable[variable] }

    /// The LastApplError a client reads, with the object's MMS name.
    package func lastApplError(_ error: LastApplError) -> ControlReportEncoder.LastApplError {
        ControlReportEncoder.LastApplError(
            controlObject: targets[error.object].mmsReference(error.service.rawValue), error: error.error, originCategory: error.originCategory,
            originIdentifier: error.originIdentifier, controlNumber: error.controlNumber, cause: error.cause)
    }
}
