import Crypto

/// Noise's HandshakeState (spec rev. 34, §5.3) for Curve25519, with the handshake patterns this
/// package uses (XX). Message by message: `writeMessage` / `readMessage` in turn, starting with
/// the initiator; after the last one, `transport` holds the two CipherStates.
public struct HandshakeState {
    public enum Token: Sendable { case e, s, ee, es, se, ss }

    public struct Pattern: Sendable {
        public let name: String
        public let messages: [[Token]]

        /// XX: -> e; <- e, ee, s, es; -> s, se. Both statics travel encrypted; mutual authentication.
        public static let XX = Pattern(name: "XX", messages: [[.e], [.e, .ee, .s, .es], [.s, .se]])
    }

    public static let dhLength = 32
    /// Largest Noise message (spec §3).
    public static let maxMessageLength = 65_535

    public let initiator: Bool
    public let pattern: Pattern
    private var symmetric: SymmetricState
    private let s: Curve25519.KeyAgreement.PrivateKey
    private var e: Curve25519.KeyAgreement.PrivateKey?
    /// An ephemeral key to use instead of a fresh one (test vectors only).
    private var presetEphemeral: Curve25519.KeyAgreement.PrivateKey?
    public private(set) var remoteStatic: [UInt8]?
    private var remoteEphemeral: Curve25519.KeyAgreement.PublicKey?
    private var index = 0
    /// After the last message: (send, receive).
    public private(set) var transport: (send: CipherState, receive: CipherState)?

    /// `protocolName` is e.g. "Noise_XX_25519_ChaChaPoly_SHA256"; `prologue` is hashed in first,
    /// so two sides with different prologues cannot complete the handshake.
    public init(
        pattern: Pattern = .XX, initiator: Bool, prologue: [UInt8], staticKey: Curve25519.KeyAgreement.PrivateKey,
        ephemeralKey: Curve25519.KeyAgreement.PrivateKey? = nil
    ) {
        self.pattern = pattern
        self.initiator = initiator
        symmetric = SymmetricState(protocolName: "Noise_\(pattern.name)_25519_ChaChaPoly_SHA256")
        symmetric.mixHash(prologue)
        s = staticKey
        presetEphemeral = ephemeralKey
    }

    public var isFinished: Bool { transport != nil }
    /// Whether the next message is ours to write.
    public var isMyTurn: Bool { !isFinished && (index % 2 == 0) == initiator }
    /// h: binds everything said in the handshake; equal on both sides when it succeeded.
    public var handshakeHash: [UInt8] { symmetric.handshakeHash }

    public mutating func writeMessage(_ payload: [UInt8] = []) throws -> [UInt8] {
        guard isMyTurn else { throw NoiseError(.malformed, "it is not this side's turn to write a handshake message") }
        var out: [UInt8] = []
        for token in pattern.messages[index] {
            switch token {
            case .e:
                let key = presetEphemeral ?? Curve25519.KeyAgreement.PrivateKey()
                presetEphemeral = nil
                e = key
                let pub = Array(key.publicKey.rawRepresentation)
                out += pub
                symmetric.mixHash(pub)
            case .s:
                out += try symmetric.encryptAndHash(Array(s.publicKey.rawRepresentation))
            default:
                try mixDH(token)
            }
        }
        out += try symmetric.encryptAndHash(payload)
        guard out.count <= Self.maxMessageLength else { throw NoiseError(.malformed, "a handshake message of \(out.count) bytes is too long") }
        advance()
        return out
    }

    public mutating func readMessage(_ message: [UInt8]) throws -> [UInt8] {
        guard !isFinished, !isMyTurn else { throw NoiseError(.malformed, "a handshake message arrived when none was expected") }
        guard message.count <= Self.maxMessageLength else { throw NoiseError(.malformed, "a handshake message of \(message.count) bytes is too long") }
        var rest = message[...]
        func take(_ n: Int) throws -> [UInt8] {
            guard rest.count >= n else { throw NoiseError(.malformed, "a handshake message of \(message.count) bytes is too short") }
            defer { rest = rest.dropFirst(n) }
            return Array(rest.prefix(n))
        }
        for token in pattern.messages[index] {
            switch token {
            case .e:
                let pub = try take(Self.dhLength)
                remoteEphemeral = try Self.publicKey(pub)
                symmetric.mixHash(pub)
            case .s:
                let sealed = try take(Self.dhLength + (symmetric.hasKey ? CipherState.tagLength : 0))
                let pub = try symmetric.decryptAndHash(sealed)
                _ = try Self.publicKey(pub)
                remoteStatic = pub
            default:
                try mixDH(token)
            }
        }
        let payload = try symmetric.decryptAndHash(Array(rest))
        advance()
        return payload
    }

    private mutating func advance() {
        index += 1
        if index == pattern.messages.count {
            let (first, second) = symmetric.split()
            transport = initiator ? (first, second) : (second, first)
        }
    }

    private mutating func mixDH(_ token: Token) throws {
        // Which of our keys meets which of theirs; es and se are read from the initiator's side.
        let local: Curve25519.KeyAgreement.PrivateKey?
        let remote: Curve25519.KeyAgreement.PublicKey?
        let rs = try remoteStatic.map(Self.publicKey)
        switch (token, initiator) {
        case (.ee, _): (local, remote) = (e, remoteEphemeral)
        case (.ss, _): (local, remote) = (s, rs)
        case (.es, true): (local, remote) = (e, rs)
        case (.es, false): (local, remote) = (s, remoteEphemeral)
        case (.se, true): (local, remote) = (s, remoteEphemeral)
        case (.se, false): (local, remote) = (e, rs)
        default: throw NoiseError(.malformed, "token \(token) is not a DH")
        }
        guard let local, let remote else { throw NoiseError(.malformed, "the pattern needs a key this side does not have for \(token)") }
        let shared: SharedSecret
        do { shared = try local.sharedSecretFromKeyAgreement(with: remote) } catch {
            throw NoiseError(.key, "the peer's key is not usable for X25519")
        }
        symmetric.mixKey(shared.withUnsafeBytes { Array($0) })
    }

    static func publicKey(_ bytes: [UInt8]) throws -> Curve25519.KeyAgreement.PublicKey {
        do { return try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes) } catch {
            throw NoiseError(.key, "a public key of \(bytes.count) bytes is not an X25519 key")
        }
    }
}
