import Crypto
import Noise
import Replica

/// Timeouts and batch bounds of a session.
public struct SessionConfig: Sendable {
    /// Hello, auth and vectors must be done within this time (ms). Short: until then the peer
    /// may be anyone on the LAN, holding one of the few slots a daemon keeps for such connections.
    public var handshakeTimeout: UInt64 = 5_000
    /// A session in which no complete frame arrives for this long ends (ms). A peer that stalls
    /// mid-frame hits it too: only whole frames count as activity.
    public var idleTimeout: UInt64 = 30_000
    /// Most operations in one batch. The receiver appends a batch to its log in one transaction
    /// and merges what the session brought into its tables once, at the session's end (see
    /// `Applier.deferring`). A receiver holds up to `Session.window` batches decoded, about 150
    /// bytes an operation; 100,000 operations of the benchmark are 3.6 MB before compression.
    /// `maxBatchBytes` usually cuts a batch first.
    public var maxBatchOperations = 131_072
    /// A batch is cut down until its frame, before compression, is at most this big (a single
    /// signed run may exceed it).
    public var maxBatchBytes = 4 << 20
    /// Operations per run within a batch (see `Replica.batchRunEntries`).
    public var maxRunOperations = Replica.batchRunEntries
    public var maxFrameSize = Frame.maxFrameSize
    /// Announced in our hello: the port our daemon listens on (0 for `sinkron sync`).
    public var listenPort: UInt16 = 0

    public init() {}
}

/// One sync session as a pure state machine: events in, actions out. No sockets and no replica
/// inside; `SessionDriver` performs the actions on a replica, a transport moves the bytes.
///
/// Flow (protocol 3): the Noise_XX handshake (initiator: hello with message 1; responder: message
/// 2 with its identity; the initiator checks the responder is a member, then message 3 with its
/// own; the responder checks it); then, encrypted: hello ↔ hello, vector ↔ vector, and each side
/// streams what the other lacks in batches (at most `window` unacknowledged), done ↔ done.
public struct Session {
    public enum Event: Sendable {
        /// The connection is up: the initiator starts the handshake.
        case start
        /// Bytes arrived from the peer.
        case received([UInt8])
        /// The replica's verdict on the peer and our vector (answer to `.authorize`).
        case authorized(PeerAuthorization, vector: VersionVector)
        /// The next batch for the peer (answer to `.loadBatch`); empty means nothing more.
        case batchLoaded([OperationRun])
        /// Nothing more to send; our vector now (answer to `.loadBatch`).
        case exhausted(vector: VersionVector)
        /// Batch `id` was applied (answer to `.apply`).
        case applied(id: UInt64, ApplyReport)
        /// A local step failed (a batch refused by verification: nothing of it was applied; or
        /// storage): the session ends with this error, and the peer is told.
        case failed(SyncError)
        /// Time passed: check the timeouts.
        case tick
        /// The transport closed or failed.
        case closed(SyncError?)
    }

    public enum Action: Sendable, Equatable {
        /// Encode, seal (`Session.seal`) and send a frame of the encrypted stream.
        case send(Frame)
        /// Send these bytes as they are (the handshake's messages, a clear-text error).
        case sendClear([UInt8])
        /// Decide whether the node the handshake proved may sync, answer `.authorized`.
        case authorize(HandshakeIdentity)
        /// The peer's hello arrived (its name, role, court time): note it, no answer.
        case greeted(Hello)
        /// Load what a peer holding `after` lacks, answer `.batchLoaded` or `.exhausted`.
        case loadBatch(after: VersionVector)
        /// Apply in one transaction, answer `.applied` or `.failed`.
        case apply(id: UInt64, runs: [OperationRun])
        /// Everything was exchanged: flush and close.
        case finish
        /// The session failed: flush what was queued (an error) and close.
        case fail(SyncError)
    }

    public enum Phase: Sendable, Equatable { case idle, handshake, streaming, finished, failed }

    /// Most batches one side may have sent and not yet seen acknowledged.
    public static let window = 2

    public private(set) var local: Hello
    public let initiator: Bool
    public let config: SessionConfig
    public internal(set) var phase = Phase.idle
    public private(set) var error: SyncError?
    /// The node the handshake proved, and its hello once it arrived.
    public internal(set) var peerIdentity: HandshakeIdentity?
    public private(set) var peer: Hello?
    public internal(set) var peerAuthorization: PeerAuthorization?
    public internal(set) var localVector: VersionVector?
    public private(set) var peerVector: VersionVector?
    /// What the peer is known to hold: its vector, plus what we sent it and what it sent us.
    public internal(set) var cursor = VersionVector()
    /// The peer's vector when it said done.
    public private(set) var peerDoneVector: VersionVector?

    var wire = WireDecoder()
    /// Made when the handshake starts (`keys` are made then too); nil again after it.
    var noise: HandshakeState?
    let keys: SessionKeys
    let prologue: [UInt8]
    let ephemeralKey: Curve25519.KeyAgreement.PrivateKey?
    var sendCipher: CipherState?
    var receiveCipher: CipherState?
    /// The handshake's last message waits for the replica's verdict: no more input until then.
    var awaitingAuthorization = false
    var decoder: FrameDecoder
    var now: UInt64 = 0
    var handshakeDeadline: UInt64 = 0
    var lastFrameAt: UInt64 = 0
    // Sending side.
    var loading = false
    var exhausted = false
    var inFlight: [UInt64] = []
    var nextBatchID: UInt64 = 1
    var sentDone = false
    // Receiving side.
    var pending: [(id: UInt64, runs: [OperationRun])] = []
    var applying = false
    var peerDone = false

    /// `keys` give this node's identity with its signature over the Noise static key's public key;
    /// `prologue` names the court (`HandshakeIdentity.prologue`).
    public init(
        local: Hello, initiator: Bool, keys: SessionKeys, prologue: [UInt8], ephemeralKey: Curve25519.KeyAgreement.PrivateKey? = nil,
        config: SessionConfig = SessionConfig()
    ) {
        self.local = local
        self.initiator = initiator
        self.keys = keys
        self.prologue = prologue
        self.ephemeralKey = ephemeralKey
        self.config = config
        decoder = FrameDecoder(maxFrameSize: config.maxFrameSize)
    }

    public init(
        local: Hello, initiator: Bool, identity: HandshakeIdentity, staticKey: Curve25519.KeyAgreement.PrivateKey, prologue: [UInt8],
        ephemeralKey: Curve25519.KeyAgreement.PrivateKey? = nil, config: SessionConfig = SessionConfig()
    ) {
        self.init(
            local: local, initiator: initiator, keys: SessionKeys(identity: identity, staticKey: staticKey), prologue: prologue, ephemeralKey: ephemeralKey,
            config: config)
    }

    public var isOver: Bool { phase == .finished || phase == .failed }
    /// The handshake is done: frames go sealed in records.
    public var isEncrypted: Bool { sendCipher != nil }

    /// Sets the court time our hello announces; call just before `.start` (later calls are ignored).
    public mutating func setClock(_ time: UInt64, hops: UInt8) {
        guard phase == .idle else { return }
        local.clock = time
        local.clockHops = hops
    }

    /// True when, as far as this side can tell, both sides hold the same operations.
    public var inSync: Bool {
        guard phase == .finished, let ours = localVectorAtEnd else { return false }
        var theirs = cursor
        for (origin, seq) in peerDoneVector?.entries ?? [:] { theirs[origin] = max(theirs[origin], seq) }
        return ours.covers(theirs) && theirs.covers(ours)
    }

    /// Set by the driver when the session finishes (our vector then).
    public var localVectorAtEnd: VersionVector?

    /// Seals an encoded frame (or several) into records for the wire.
    public mutating func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        guard sendCipher != nil else { throw SyncError(.malformed, "internal error: a frame to send before the handshake finished") }
        return try WireMessage.records(plaintext) { piece in
            do { return try sendCipher!.encrypt(Array(piece), ad: []) } catch { throw SyncError(.connection, "cannot encrypt: \(error)") }
        }
    }

    /// Feeds one event at time `now` (milliseconds, any monotonic origin) and returns what to do.
    public mutating func handle(_ event: Event, now: UInt64) -> [Action] {
        self.now = now
        if isOver { return [] }
        var actions: [Action] = []
        do {
            try handle(event, into: &actions)
        } catch let error as SyncError {
            actions.append(contentsOf: fail(error, tellPeer: error.code != .peer && error.code != .connection && !error.fromPeer))
        } catch {
            actions.append(contentsOf: fail(SyncError(.malformed, "\(error)"), tellPeer: true))
        }
        return actions
    }

    private mutating func handle(_ event: Event, into actions: inout [Action]) throws {
        switch event {
        case .start:
            guard phase == .idle else { return }
            phase = .handshake
            handshakeDeadline = now + config.handshakeTimeout
            lastFrameAt = now
            if initiator { try sendHandshakeStart(&actions) }
        case .received(let bytes):
            wire.append(bytes)
            try drain(&actions)
        case .authorized(let verdict, let vector):
            try authorized(verdict, vector: vector, into: &actions)
            try drain(&actions)
        case .batchLoaded(let runs):
            batchLoaded(runs, into: &actions)
        case .exhausted(let vector):
            loading = false
            exhausted = true
            localVector = vector
            sendDoneIfReady(&actions)
        case .applied(let id, let report):
            try applied(id, report, into: &actions)
        case .failed(let error):
            throw error
        case .tick:
            if phase == .handshake, now >= handshakeDeadline {
                throw SyncError(.timeout, "the handshake with \(peerLabel) did not finish within \(config.handshakeTimeout / 1000) s",
                    hint: "check that the peer runs sinkron and that the network is up")
            }
            if now >= lastFrameAt + config.idleTimeout {
                throw SyncError(.timeout, "no complete frame from \(peerLabel) for \(config.idleTimeout / 1000) s", hint: "the peer or the network stalled; the next session resumes")
            }
        case .closed(let error):
            throw error ?? SyncError(.connection, "\(peerLabel) closed the connection \(phase == .handshake ? "during the handshake" : "mid-session")",
                hint: "nothing acknowledged is lost; the next session resumes")
        }
    }

    /// Reads what arrived, message by message, unless the handshake waits for a verdict.
    private mutating func drain(_ actions: inout [Action]) throws {
        while !isOver, !awaitingAuthorization, let message = try wire.next() {
            switch message {
            case .record(let ciphertext):
                guard receiveCipher != nil else { throw SyncError(.malformed, "\(peerLabel) sent a record before the handshake finished") }
                let plaintext: [UInt8]
                do { plaintext = try receiveCipher!.decrypt(ciphertext, ad: []) } catch {
                    throw SyncError(.tampered, "a record from \(peerLabel) did not authenticate: the connection was tampered with (bytes changed, dropped, reordered or replayed)",
                        hint: "nothing of it was used; check the network between the two PCs")
                }
                decoder.append(plaintext)
                while !isOver, let frame = try decoder.next() {
                    lastFrameAt = now
                    try receive(frame, into: &actions)
                }
            default:
                lastFrameAt = now
                try handshakeMessage(message, into: &actions)
            }
        }
    }

    private mutating func receive(_ frame: Frame, into actions: inout [Action]) throws {
        switch frame {
        case .hello(let hello):
            guard phase == .handshake, peer == nil, let proven = peerIdentity, peerAuthorization?.allowed == true else { throw unexpected(frame) }
            guard hello.node == proven.node, hello.publicKey == proven.publicKey else {
                throw SyncError(.authentication, "\(peerLabel) says it is node \(hello.node.short), but its handshake proved node \(proven.node.short)",
                    hint: "the peer is damaged or forged; it got no data")
            }
            guard hello.version == Frame.protocolVersion else { throw SyncError(.version, "the peer's hello is of protocol version \(hello.version)") }
            peer = hello
            actions.append(.greeted(hello))
            startStreamingIfReady(&actions)
        case .vector(let vector):
            guard phase == .handshake, peer != nil, peerVector == nil else { throw unexpected(frame) }
            peerVector = vector
            startStreamingIfReady(&actions)
        case .batch(let id, let runs):
            guard phase == .streaming, !peerDone else { throw unexpected(frame) }
            guard pending.count < Self.window else {
                throw SyncError(.malformed, "\(peerLabel) sent more than \(Self.window) unacknowledged batches")
            }
            for run in runs { cursor[run.origin] = max(cursor[run.origin], run.lastSeq) }
            pending.append((id, runs))
            applyNextIfIdle(&actions)
        case .ack(let id, _):
            guard phase == .streaming, inFlight.first == id else { throw unexpected(frame) }
            inFlight.removeFirst()
            loadIfRoom(&actions)
            sendDoneIfReady(&actions)
        case .done(let vector):
            guard phase == .streaming, !peerDone, pending.isEmpty, !applying else { throw unexpected(frame) }
            peerDone = true
            peerDoneVector = vector
            finishIfDone(&actions)
        case .error(let code, let message):
            throw peerError(code: code, message: message)
        }
    }

    func peerError(code: String, message: String) -> SyncError {
        var error: SyncError
        if code == SyncError.Code.busy.rawValue {
            error = SyncError(.busy, "\(peerLabel) is \(message)", hint: "sinkron retries by itself; or run the sync again then")
        } else if code == SyncError.Code.version.rawValue {
            error = SyncError(.version, "\(peerLabel) refused this node's protocol: \(message)", hint: "upgrade Sinkron so that both PCs run the same version")
        } else if code == SyncError.Code.authentication.rawValue {
            error = SyncError(.authentication, "\(peerLabel) ended the handshake: \(message) (a node of another court, or the connection was tampered with)",
                hint: "a node of another court can never sync with this one")
        } else if code == SyncError.Code.refused.rawValue {
            error = SyncError(.refused, "\(peerLabel) refused this node: \(message)", hint: "the court admin enrolls nodes with `sinkron invite`")
        } else {
            error = SyncError(.peer, "\(peerLabel) ended the session: \(message) [\(code)]")
        }
        error.fromPeer = true
        return error
    }

    var peerLabel: String {
        if let peer { return "peer \(peer.name) (\(peer.node.short))" }
        if let peerIdentity { return "peer node \(peerIdentity.node.short)" }
        return "the peer"
    }

    func unexpected(_ frame: Frame) -> SyncError {
        SyncError(.malformed, "unexpected \(frame.name) frame from \(peerLabel) in the \(phase) phase", hint: "the peer does not follow the protocol")
    }

    mutating func fail(_ error: SyncError, tellPeer: Bool) -> [Action] {
        phase = .failed
        self.error = error
        var actions: [Action] = []
        if tellPeer {
            if isEncrypted {
                actions.append(.send(.error(code: error.code.rawValue, message: error.message)))
            } else {
                // In clear text: say no more than the code and, where it helps, what to do.
                actions.append(.sendClear(WireMessage.error(code: error.code.rawValue, message: Self.clearText(error)).encoded()))
            }
        }
        actions.append(.fail(error))
        return actions
    }
}
