import Crypto
import Noise
import Replica

/// The Noise_XX handshake of a session, message by message, and its clear-text errors.
extension Session {
    /// Makes the handshake state (and this side's keys) when the handshake really starts.
    mutating func beginNoise() throws {
        guard noise == nil, !isEncrypted, peerIdentity == nil else { return }
        let made = keys.value
        guard made.identity.signature.count == 64 else {
            throw SyncError(.storage, "this node cannot sign its session key", hint: "check the replica with `sinkron verify`")
        }
        noise = HandshakeState(initiator: initiator, prologue: prologue, staticKey: made.staticKey, ephemeralKey: ephemeralKey)
    }

    /// Initiator: hello with Noise message 1 (`e`, no payload).
    mutating func sendHandshakeStart(_ actions: inout [Action]) throws {
        try beginNoise()
        let first = try noiseStep { try $0.writeMessage([]) }
        actions.append(.sendClear(WireMessage.hello(version: Frame.protocolVersion, noise: first).encoded()))
    }

    mutating func handshakeMessage(_ message: WireMessage, into actions: inout [Action]) throws {
        switch message {
        case .error(let code, let text):
            guard !isEncrypted else { throw SyncError(.tampered, "a clear-text error arrived inside the encrypted session", hint: "someone on the network injected it") }
            throw peerError(code: code, message: text)
        case .hello(let version, let first):
            if initiator {
                // Only a peer of version 2 speaks first: its clear hello.
                throw SyncError(.version, "the peer runs an older Sinkron (sync protocol \(version)), which sends sessions in clear text; this node speaks protocol \(Frame.protocolVersion), in which every session is encrypted",
                    hint: "upgrade Sinkron on the peer's PC")
            }
            guard version == Frame.protocolVersion else {
                throw SyncError(.version, "the peer speaks sync protocol \(version); this node speaks protocol \(Frame.protocolVersion), in which every session is encrypted",
                    hint: "upgrade Sinkron on the peer's PC (both PCs must run the same version)")
            }
            guard phase == .handshake, noise == nil, peerIdentity == nil else { throw SyncError(.malformed, "a second hello from \(peerLabel)") }
            try beginNoise()
            let payload = try noiseStep { try $0.readMessage(first) }
            guard payload.isEmpty else { throw SyncError(.malformed, "the peer's first handshake message carries \(payload.count) bytes it must not") }
            let mine = keys.value.identity.encoded
            let second = try noiseStep { try $0.writeMessage(mine) }
            actions.append(.sendClear(WireMessage.handshake(second).encoded()))
        case .handshake(let bytes):
            guard phase == .handshake, let state = noise, !state.isMyTurn, peerIdentity == nil else {
                throw SyncError(.malformed, "an unexpected handshake message from \(peerLabel)")
            }
            let payload = try noiseStep { try $0.readMessage(bytes) }
            let proven = try HandshakeIdentity.decode(payload)
            guard let noiseStatic = noise?.remoteStatic, proven.binds(noiseStatic) else {
                throw SyncError(.authentication, "the peer's Noise key is not signed by the node key it presents (node \(proven.node.short))",
                    hint: "the peer's identity is forged or damaged; it got no data")
            }
            guard proven.node != local.node else {
                throw SyncError(.refused, "the peer is this same node (\(local.name))", hint: "check the address: a node does not sync with itself")
            }
            peerIdentity = proven
            if noise?.isFinished == true { startTransport() }
            awaitingAuthorization = true
            actions.append(.authorize(proven))
        case .record:
            throw SyncError(.malformed, "internal error: a record in the handshake")
        }
    }

    /// The replica's verdict on the node the handshake proved. A member gets our message 3
    /// (initiator) and, encrypted, our hello and vector; anyone else gets an error and nothing.
    mutating func authorized(_ verdict: PeerAuthorization, vector: VersionVector, into actions: inout [Action]) throws {
        guard awaitingAuthorization else { throw SyncError(.storage, "internal error: a verdict nobody asked for") }
        awaitingAuthorization = false
        peerAuthorization = verdict
        guard verdict.allowed else {
            throw SyncError(.refused, "\(peerLabel) is refused: \(verdict.reason)", hint: "the court admin enrolls nodes with `sinkron invite`")
        }
        localVector = vector
        if initiator {
            let mine = keys.value.identity.encoded
            let third = try noiseStep { try $0.writeMessage(mine) }
            actions.append(.sendClear(WireMessage.handshake(third).encoded()))
            startTransport()
        }
        actions.append(.send(.hello(local)))
        actions.append(.send(.vector(vector)))
        startStreamingIfReady(&actions)
    }

    private mutating func startTransport() {
        guard let transport = noise?.transport else { return }
        sendCipher = transport.send
        receiveCipher = transport.receive
        noise = nil
        wire.maxLength = WireMessage.maxRecordMessage
    }

    /// Runs one step of the handshake, turning Noise's errors into the session's.
    private mutating func noiseStep(_ body: (inout HandshakeState) throws -> [UInt8]) throws -> [UInt8] {
        guard var state = noise else { throw SyncError(.malformed, "a handshake message after the handshake") }
        do {
            let out = try body(&state)
            noise = state
            return out
        } catch let error as NoiseError {
            if error.code == .decrypt {
                throw SyncError(.authentication, "the handshake with \(peerLabel) failed: it is not a node of this court (another court root), or the connection was tampered with",
                    hint: "check the address; a node of another court can never sync with this one")
            }
            throw SyncError(.authentication, "the handshake with \(peerLabel) failed: \(error.message)", hint: "the peer is not a Sinkron node of this version, or it is damaged")
        }
    }

    /// What a clear-text error says: nothing about this node or why it refused a peer beyond the
    /// code, so that a stranger learns only that a Sinkron node listens.
    static func clearText(_ error: SyncError) -> String {
        switch error.code {
        case .refused: "refused: not a member of this court as far as this node knows"
        case .authentication: "the handshake failed"
        default: error.message
        }
    }
}
