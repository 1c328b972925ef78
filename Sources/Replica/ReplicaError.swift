/// An error a user or a peer can act on: what was wrong, and what to do next.
public struct ReplicaError: Error, CustomStringConvertible, Sendable {
    /// A stable, machine-readable code (also in `--json` error output).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notInitialized = Code(rawValue: "not-initialized")
        public static let alreadyInitialized = Code(rawValue: "already-initialized")
        public static let alreadyExists = Code(rawValue: "already-exists")
        public static let invalidInput = Code(rawValue: "invalid-input")
        public static let notFound = Code(rawValue: "not-found")
        public static let ambiguous = Code(rawValue: "ambiguous")
        public static let notPermitted = Code(rawValue: "not-permitted")
        public static let flowFinished = Code(rawValue: "flow-finished")
        public static let badBundle = Code(rawValue: "bad-bundle")
        public static let badSignature = Code(rawValue: "bad-signature")
        public static let brokenChain = Code(rawValue: "broken-chain")
        public static let fork = Code(rawValue: "fork")
        public static let wrongCourt = Code(rawValue: "wrong-court")
        public static let storage = Code(rawValue: "storage")
        public static let busy = Code(rawValue: "busy")
    }

    public let code: Code
    public let message: String
    /// What the user can do about it.
    public let hint: String?

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String {
        hint.map { "\(message)\n  hint: \($0)" } ?? message
    }
}
