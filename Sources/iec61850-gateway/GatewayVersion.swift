/// The gateway's version: `--version`, the revision a client reads with MMS identify, the package's version.
enum GatewayVersion {
    static let current = "0.16.0"
}
