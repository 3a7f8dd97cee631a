/// A gateway's role in a redundant pair (IEC 61850 hot standby): the active node serves the SCADA
/// through the pair's virtual address, drives the field and executes controls; the standby keeps its
/// model warm from the sources that take several masters and executes nothing.
public enum GatewayRole: String, Sendable, Codable, CaseIterable {
    case active
    case standby
}
