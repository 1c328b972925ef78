import Replica

/// Timeouts and batch bounds of a session.
public struct SessionConfig: Sendable {
    /// Hello, auth and vectors must be done within this time (ms). Short: until then the peer
    /// may be anyone on the LAN, holding one of the few slots a daemon keeps for such connections.
    public var handshakeTimeout: UInt64 = 5_000
    /// A session in which no complete frame arrives for this long ends (ms). A peer that stalls
    /// mid-frame hits it too: only whole frames count as activity.
    public var idleTimeout: UInt64 = 30_000
    /// Most operations in one batch. The receiver applies a batch in one transaction, so larger
    /// batches mean fewer commits (each commit rewrites every record row and write set the batch
    /// touched). A receiver holds up to `Session.window` batches decoded, about 150 bytes an
    /// operation; 100,000 operations of the benchmark are 3.8 MB on the wire and hold the write
    /// lock for about half a second. `maxBatchBytes` usually cuts a batch first.
    public var maxBatchOperations = 131_072
    /// A batch is cut down until its frame is at most this big (a single signed run may exceed it).
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
/// Flow: hello ↔ hello, auth ↔ auth (each side signs the transcript: both challenges and both
/// node ids), the peer is authorized, vector ↔ vector, then each side streams what the other
/// lacks in batches (at most `window` unacknowledged), done ↔ done.
public struct Session {
    public enum Event: Sendable {
        /// The connection is up: say hello.
        case start
        /// Bytes arrived from the peer.
        case received([UInt8])
        /// Our signature over the handshake transcript (answer to `.sign`).
        case signed([UInt8])
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
        case send(Frame)
        /// Sign these handshake bytes with `Replica.signChallenge`, answer `.signed`.
        case sign([UInt8])
        /// Decide whether the peer may sync, answer `.authorized`.
        case authorize(Hello)
        /// Load what a peer holding `after` lacks, answer `.batchLoaded` or `.exhausted`.
        case loadBatch(after: VersionVector)
        /// Apply in one transaction, answer `.applied` or `.failed`.
        case apply(id: UInt64, runs: [OperationRun])
        /// Everything was exchanged: flush and close.
        case finish
        /// The session failed: flush what was queued (an error frame) and close.
        case fail(SyncError)
    }

    public enum Phase: Sendable, Equatable { case idle, handshake, streaming, finished, failed }

    /// Most batches one side may have sent and not yet seen acknowledged.
    public static let window = 2

    public private(set) var local: Hello
    public let config: SessionConfig
    public internal(set) var phase = Phase.idle
    public private(set) var error: SyncError?
    public private(set) var peer: Hello?
    public private(set) var peerAuthorization: PeerAuthorization?
    public private(set) var localVector: VersionVector?
    public private(set) var peerVector: VersionVector?
    /// What the peer is known to hold: its vector, plus what we sent it and what it sent us.
    public internal(set) var cursor = VersionVector()
    /// The peer's vector when it said done.
    public private(set) var peerDoneVector: VersionVector?

    var decoder: FrameDecoder
    var now: UInt64 = 0
    var handshakeDeadline: UInt64 = 0
    var lastFrameAt: UInt64 = 0
    var peerAuthenticated = false
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

    public init(local: Hello, config: SessionConfig = SessionConfig()) {
        self.local = local
        self.config = config
        decoder = FrameDecoder(maxFrameSize: config.maxFrameSize)
    }

    public var isOver: Bool { phase == .finished || phase == .failed }

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
            actions.append(.send(.hello(local)))
        case .received(let bytes):
            decoder.append(bytes)
            while !isOver, let frame = try decoder.next() {
                lastFrameAt = now
                try receive(frame, into: &actions)
            }
        case .signed(let signature):
            actions.append(.send(.auth(signature: signature)))
        case .authorized(let verdict, let vector):
            peerAuthorization = verdict
            guard verdict.allowed else {
                throw SyncError(.refused, "\(peerLabel) is refused: \(verdict.reason)", hint: "the court admin enrolls nodes with `sinkron invite`")
            }
            localVector = vector
            actions.append(.send(.vector(vector)))
            startStreamingIfReady(&actions)
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

    private mutating func receive(_ frame: Frame, into actions: inout [Action]) throws {
        switch frame {
        case .hello(let hello):
            guard phase == .handshake, peer == nil else { throw unexpected(frame) }
            guard hello.node != local.node else {
                throw SyncError(.refused, "the peer is this same node (\(local.name))", hint: "check the address: a node does not sync with itself")
            }
            peer = hello
            actions.append(.sign(Self.transcript(signer: local, verifier: hello)))
        case .auth(let signature):
            guard phase == .handshake, let peer, !peerAuthenticated else { throw unexpected(frame) }
            guard Replica.verifyChallenge(Self.transcript(signer: peer, verifier: local), signature: signature, publicKey: peer.publicKey) else {
                throw SyncError(.authentication, "\(peerLabel) could not prove it holds the key of node \(peer.node.short)",
                    hint: "the peer's identity is forged or damaged; it got no data")
            }
            peerAuthenticated = true
            actions.append(.authorize(peer))
        case .vector(let vector):
            guard phase == .handshake, peerAuthenticated, peerVector == nil else { throw unexpected(frame) }
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
            if code == SyncError.Code.busy.rawValue {
                var error = SyncError(.busy, "\(peerLabel) is \(message)", hint: "sinkron retries by itself; or run the sync again then")
                error.fromPeer = true
                throw error
            }
            throw SyncError(.peer, "\(peerLabel) ended the session: \(message) [\(code)]")
        }
    }

    /// What a signer signs for a verifier: the verifier's challenge first, then the signer's own,
    /// then both node ids, then the signer's court time and hops. Binding both ids keeps a
    /// signature from being replayed in another pairing; binding the time keeps anyone between
    /// the two from moving a node's clock.
    public static func transcript(signer: Hello, verifier: Hello) -> [UInt8] {
        var clock = [UInt8](repeating: 0, count: 9)
        for i in 0..<8 { clock[i] = UInt8(truncatingIfNeeded: signer.clock >> (56 - 8 * i)) }
        clock[8] = signer.clockHops
        return verifier.challenge + signer.challenge + signer.node.bytes + verifier.node.bytes + clock
    }

    var peerLabel: String {
        guard let peer else { return "the peer" }
        return "peer \(peer.name) (\(peer.node.short))"
    }

    func unexpected(_ frame: Frame) -> SyncError {
        SyncError(.malformed, "unexpected \(frame.name) frame from \(peerLabel) in the \(phase) phase", hint: "the peer does not follow the protocol")
    }

    mutating func fail(_ error: SyncError, tellPeer: Bool) -> [Action] {
        phase = .failed
        self.error = error
        var actions: [Action] = []
        if tellPeer { actions.append(.send(.error(code: error.code.rawValue, message: error.message))) }
        actions.append(.fail(error))
        return actions
    }
}
