import Replica

/// What each side says first: who it is, which protocol it speaks, and a fresh challenge.
public struct Hello: Sendable, Equatable {
    public var version: UInt8
    public var court: String
    public var node: NodeID
    public var name: String
    public var role: String
    public var publicKey: [UInt8]
    /// 32 random bytes the peer must sign.
    public var challenge: [UInt8]
    /// The port the sender's daemon listens on (0: it does not listen), so that a daemon dialed
    /// by it can dial back when it has news.
    public var listenPort: UInt16 = 0
    /// The sender's court time (ms since 1970) when it sent the hello, and how many sessions it
    /// stands from the admin's clock (0: the admin; 255: not yet learned). See `Replica+Clock`.
    public var clock: UInt64 = 0
    public var clockHops: UInt8 = Replica.unknownClockHops

    public init(version: UInt8 = Frame.protocolVersion, court: String, node: NodeID, name: String, role: String, publicKey: [UInt8], challenge: [UInt8]) {
        self.version = version
        self.court = court
        self.node = node
        self.name = name
        self.role = role
        self.publicKey = publicKey
        self.challenge = challenge
    }
}

/// One protocol message. On the wire: `u32 big-endian length` of what follows, a type byte,
/// and the body (see `Frame+Codec.swift`).
public enum Frame: Sendable, Equatable {
    case hello(Hello)
    /// The sender's signature over the handshake transcript (both challenges, both node ids).
    case auth(signature: [UInt8])
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
    public static let protocolVersion: UInt8 = 2
    /// Largest frame accepted (length prefix value); bigger prefixes are refused before allocating.
    public static let maxFrameSize = 8 << 20
    /// Magic bytes at the start of a hello body: a peer that is not Sinkron is told apart at once.
    static let magic: [UInt8] = Array("SNKR".utf8)

    enum Kind: UInt8 {
        case hello = 1, auth, vector, batch, ack, done, error
    }

    var kind: Kind {
        switch self {
        case .hello: .hello
        case .auth: .auth
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
