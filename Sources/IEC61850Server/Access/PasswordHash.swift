import Crypto
import CryptoExtras
import Foundation

/// A salted password hash (PBKDF2 with HMAC-SHA256), written `pbkdf2-sha256$ROUNDS$SALT$HASH` with the salt
/// and hash in base64, so that a configuration never holds a password in plain text.
/// `iec61850-gateway hash-password` makes one.
public struct PasswordHash: Sendable, Hashable, CustomStringConvertible {
    public let rounds: Int
    public let salt: [UInt8]
    public let hash: [UInt8]

    /// Rounds for new hashes. Checking costs this much once per password and address (a successful check
    /// is remembered for the server's lifetime, a failed one counts towards the address's lock-out).
    public static let defaultRounds = 100_000

    /// Why a text is not a password hash, with what to do instead.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public let message: String

        /// The one kind there is: the text is not `pbkdf2-sha256$ROUNDS$SALT$HASH` with sane parameters.
        public static let notAHash = ParseError(
            message: "not a password hash: expected pbkdf2-sha256$ROUNDS$SALT$HASH (make one with: iec61850-gateway hash-password)")

        public var description: String { message }
    }

    /// Reads `pbkdf2-sha256$ROUNDS$SALT$HASH`.
    public init(_ text: String) throws(ParseError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), (1_000...10_000_000).contains(rounds),
            let salt = Data(base64Encoded: String(parts[2])), salt.count >= 8, let hash = Data(base64Encoded: String(parts[3])), hash.count >= 16
        else { throw .notAHash }
        self.rounds = rounds
        self.salt = [UInt8](salt)
        self.hash = [UInt8](hash)
    }

    /// Hashes `password` with a new random salt.
    public init(hashing password: String, rounds: Int = PasswordHash.defaultRounds) {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        self.rounds = rounds
        self.salt = salt
        self.hash = Self.derive(password, salt: salt, rounds: rounds, count: 32)
    }

    /// Whether `password` is the one hashed (compared in constant time).
    public func matches(_ password: String) -> Bool {
        let derived = Self.derive(password, salt: salt, rounds: rounds, count: hash.count)
        var difference: UInt8 = 0
        for (lhs, rhs) in zip(derived, hash) { difference |= lhs ^ rhs }
        return difference == 0 && derived.count == hash.count
    }

    public var description: String {
        "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int, count: Int) -> [UInt8] {
        guard
            let key = try? KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: count, unsafeUncheckedRounds: rounds)
        else { return [] }
        return key.withUnsafeBytes { Array($0) }
    }
}
