import ArgumentParser
import Foundation
import IEC61850Server

struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Print a salted hash of a password, for a rule under server: access: passwords: in the configuration.",
        discussion: """
            Reads the password from the first line of standard input (so it stays out of the shell history \
            and the process list) and prints pbkdf2-sha256$ROUNDS$SALT$HASH. Each run uses a new salt.

            Example:
              printf '%s\\n' "$OPERATOR_PASSWORD" | iec61850-gateway hash-password
            """
    )

    @Option(name: .long, help: ArgumentHelp("PBKDF2 rounds (default \(PasswordHash.defaultRounds)).", valueName: "n"))
    var rounds: Int = PasswordHash.defaultRounds

    func validate() throws {
        guard (1_000...10_000_000).contains(rounds) else { throw ValidationError("--rounds must be between 1000 and 10000000") }
    }

    func run() throws {
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        print(PasswordHash(hashing: password, rounds: rounds))
    }
}
