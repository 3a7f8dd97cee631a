import ArgumentParser
import GatewayCore
import IEC61850Model

/// The model a configuration serves: its SCL file (renamed to its `ied`, if given), or the one built from
/// its points.
enum ConfiguredModel {
    /// With the diagnostics LD when the model is built from the points, or `diagnostics: true` asks for it.
    static func load(_ configuration: GatewayConfiguration, path: String) throws -> IedModel {
        let model: IedModel
        if let scl = configuration.scl {
            do {
                model = try SCLLoader(renameTo: configuration.ied).load(file: scl)
            } catch {
                throw CommandFailure("\(path): model.scl: \(error)")
            }
        } else {
            model = try ModelFromPoints.build(configuration)
        }
        guard configuration.diagnostics ?? (configuration.scl == nil) else { return model }
        return try withDiagnostics(model, configuration: configuration, path: path)
    }

    /// `model` with the diagnostics LD (``DiagnosticsDevice``) for the configuration's field connections.
    static func withDiagnostics(_ model: IedModel, configuration: GatewayConfiguration, path: String) throws -> IedModel {
        guard !model.logicalDevices.contains(where: { $0.inst == DiagnosticsDevice.inst }) else {
            throw CommandFailure(
                "\(path): the model already has a logical device \(DiagnosticsDevice.inst), where the gateway puts its diagnostics; rename it, or set diagnostics: false"
            )
        }
        return model.adding(
            DiagnosticsDevice.spec(
                channels: DiagnosticsDevice.channels(of: configuration), version: GatewayVersion.current, redundant: configuration.redundancy != nil))
    }
}
