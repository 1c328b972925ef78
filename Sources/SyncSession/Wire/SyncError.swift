/// Why a sync session ended badly: a stable code, what happened, and what to do next.
public struct SyncError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable, machine-readable code; also what travels in an error frame.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A frame could not be decoded, or arrived when it makes no sense.
        public static let malformed = Code(rawValue: "malformed-frame")
        /// A length prefix above the frame limit.
        public static let frameTooLarge = Code(rawValue: "frame-too-large")
        /// The peer speaks another protocol version, or not this protocol at all.
        public static let version = Code(rawValue: "protocol-version")
        /// The peer could not prove it holds the key of the node it claims to be.
        public static let authentication = Code(rawValue: "auth-failed")
        /// The peer proved its identity but is not a member of this court.
        public static let refused = Code(rawValue: "not-authorized")
        /// A batch failed verification (bad signature, broken chain) and was not applied.
        public static let rejectedBatch = Code(rawValue: "batch-rejected")
        /// No frame within the idle or handshake timeout.
        public static let timeout = Code(rawValue: "timeout")
        /// The connection failed or was cut.
        public static let connection = Code(rawValue: "connection")
        /// This replica could not be read or written.
        public static let storage = Code(rawValue: "storage")
        /// The peer ended the session with an error frame.
        public static let peer = Code(rawValue: "peer-error")
        /// An encrypted record did not authenticate: bytes were changed, dropped, reordered or replayed.
        public static let tampered = Code(rawValue: "tampered")
        /// The peer has no slot free for this connection now: retry later (the message says when).
        public static let busy = Code(rawValue: "busy")
        /// The node is shutting down.
        public static let shutdown = Code(rawValue: "shutdown")
    }

    public let code: Code
    public let message: String
    /// What the user can do about it.
    public let hint: String?
    /// The peer said so in an error frame (it is not answered with one).
    var fromPeer = false

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
