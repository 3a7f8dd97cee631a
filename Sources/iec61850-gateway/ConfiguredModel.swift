import ArgumentParser
import GatewayCore
import IEC61850Model

/// The model a configuration serves: its SCL file (renamed to its `ied`, if given), or the one built from
/// its points.
enum ConfiguredModel {
    static func load(_ configuration: GatewayConfiguration, path: String) throws -> IedModel {
        guard let scl = configuration.scl else { return try ModelFromPoints.build(configuration) }
        do {
            return try SCLLoader(renameTo: configuration.ied).load(file: scl)
        } catch {
            throw ValidationError("\(path): model.scl: \(error)")
        }
    }
}
