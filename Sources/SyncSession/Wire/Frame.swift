import Replica

/// What each side says first inside the encrypted channel: who it is (node and key, which must be
/// those its Noise handshake proved), its court, name and role, and its court time.
public struct Hello: Sendable, Equatable {
    public var version: UInt8
    public var court: String
    public var node: NodeID
    public var name: String
    public var role: String
    public var publicKey: [UInt8]
    /// The port the sender's daemon listens on (0: it does not listen), so that a daemon dialed
    /// by it can dial back when it has news.
    public var listenPort: UInt16 = 0
    /// The sender's court time (ms since 1970) when it sent the hello, and how many sessions it
    /// stands from the admin's clock (0: the admin; 255: not yet learned). See `Replica+Clock`.
    public var clock: UInt64 = 0
    public var clockHops: UInt8 = Replica.unknownClockHops

    public init(version: UInt8 = Frame.protocolVersion, court: String, node: NodeID, name: String, role: String, publicKey: [UInt8]) {
        self.version = version
        self.court = court
        self.node = node
        self.name = name
        self.role = role
        self.publicKey = publicKey
    }
}

/// One protocol message inside the encrypted channel. Encoded as `u32 big-endian length` of what
/// follows, a type byte, and the body (see `Frame+Codec.swift`); that byte stream travels in
/// Noise transport messages (`WireMessage.record`), never in clear text.
public enum Frame: Sendable, Equatable {
    case hello(Hello)
    /// The sender's version vector: what it holds.
    case vector(VersionVector)
    /// Operations the receiver lacks, per origin in seq order; applied in one transaction.
    case batch(id: UInt64, runs: [OperationRun])
    /// The receiver applied batch `id`: `applied` operations were new to it.
    case ack(id: UInt64, applied: UInt64)
    /// The sender has nothing more to send; its vector at that moment.
    case done(VersionVector)
    /// The sender ends the session: why.
    case error(code: String, message: String)

    /// The protocol version this program speaks.
    /// Version 2: the hello carries court time (`clock`, `clockHops`).
    /// Version 3: every session is encrypted (Noise_XX_25519_ChaChaPoly_SHA256); see `WireMessage`.
    /// Version 4: a batch's body may go compressed (frame type 8, see `BatchCompression`).
    public static let protocolVersion: UInt8 = 4
    /// Largest frame accepted (length prefix value); bigger prefixes are refused before allocating.
    public static let maxFrameSize = 8 << 20
    /// Magic bytes at the start of a hello body: a peer that is not Sinkron is told apart at once.
    static let magic: [UInt8] = Array("SNKR".utf8)

    enum Kind: UInt8 {
        // 2 was version 2's clear-text auth frame.
        case hello = 1, vector = 3, batch, ack, done, error
        /// A batch whose body (id, runs) is compressed: the body's length, then one Zstandard frame.
        case compressedBatch = 8
    }

    var kind: Kind {
        switch self {
        case .hello: .hello
        case .vector: .vector
        case .batch: .batch
        case .ack: .ack
        case .done: .done
        case .error: .error
        }
    }

    /// A short name for logs and errors.
    public var name: String { "\(kind)" }
}
