/// An immutable value on the heap, shared by the copies of the struct that holds it (see
/// `GatewayConfiguration.Point`). Setting the property replaces the box, so value semantics hold.
final class Box<Value: Sendable & Equatable>: Sendable, Equatable {
    let value: Value

    init(_ value: Value) { self.value = value }

    static func == (lhs: Box, rhs: Box) -> Bool { lhs === rhs || lhs.value == rhs.value }
}
