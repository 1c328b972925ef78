/// Why a Noise handshake or transport message failed. The text never carries key material.
public struct NoiseError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A ciphertext did not authenticate: damaged, tampered with, replayed, reordered, or made
        /// under other keys (another prologue: another court).
        public static let decrypt = Code(rawValue: "decrypt")
        /// A message of the wrong length, or one that arrived when none was expected.
        public static let malformed = Code(rawValue: "malformed")
        /// A key the primitives refuse (e.g. a low-order public key).
        public static let key = Code(rawValue: "key")
        /// The nonce counter is used up: the session must end.
        public static let exhausted = Code(rawValue: "exhausted")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
