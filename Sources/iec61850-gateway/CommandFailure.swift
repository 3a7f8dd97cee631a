/// A command that ran and failed (a device that does not answer): its message, without the usage text
/// ArgumentParser prints for a wrong invocation.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
