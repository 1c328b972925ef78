import Crypto
import Foundation
import Logging
import Replica

/// Where a driver's bytes go: a TCP connection, or an in-memory pipe in tests.
public protocol SessionTransport: AnyObject {
    func write(_ bytes: [UInt8])
    /// Flush what was written, then close.
    func close()
}

/// Runs a `Session` against a store (the replica): performs its actions (sign, authorize, load,
/// apply), writes the merge-session row, and reports progress. Not `Sendable`: it uses the
/// replica, so it lives on the thread that owns the replica (the event loop's).
public final class SessionDriver {
    public let store: any SessionStore
    public private(set) var session: Session
    public private(set) var summary: SessionSummary
    public weak var transport: (any SessionTransport)?
    public var onProgress: ((SyncProgress) -> Void)?
    public var onEnd: ((SessionSummary) -> Void)?
    /// Asked once the peer is known to be a member: nil lets the session go on, an error (busy)
    /// ends it. A daemon keeps its session slots for members here.
    public var admit: (() -> SyncError?)?
    /// The peer proved it is a member of this court (the session got past the handshake).
    public private(set) var authenticated = false
    private let clock: any SyncClock
    private var logger: Logger
    private let started: UInt64
    /// Court time when the connection came up: the start of the session's row, written later.
    private let startedCourtTime: UInt64
    private var ended = false
    /// Tests only: sees each frame before it is sealed, and may replace it (a peer that lies
    /// inside the channel); nil leaves it as it is.
    package var rewriteOutgoing: ((Frame) -> Frame?)?
    /// The ids our batches sent inline so far: the peer's `FrameDecoder` keeps the same.
    private var runEncoding = OperationRun.EncodingContext()
    /// The batch `loadBounded` encoded to measure it, with the id context after it: sent as is
    /// when the session sends that batch, so a batch is encoded once.
    private var measuredBatch: (id: UInt64, bytes: [UInt8], context: OperationRun.EncodingContext)?

    /// `keySeed` (tests, simulation): 32 bytes from which this session's Noise keys derive, so
    /// that a recorded session can be replayed; otherwise they are fresh random keys.
    public init(
        store: any SessionStore, direction: SessionSummary.Direction, address: String, config: SessionConfig = SessionConfig(),
        clock: any SyncClock = MonotonicClock(), logger: Logger = Logger(label: "sinkron.sync"), keySeed: [UInt8]? = nil
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.logger[metadataKey: "peer.address"] = "\(address)"
        started = clock.milliseconds()
        startedCourtTime = store.courtTime
        summary = SessionSummary(direction: direction, address: address)
        let id = store.identity
        var hello = Hello(court: id.court, node: id.node, name: id.name, role: id.role.rawValue, publicKey: id.publicKey)
        hello.listenPort = config.listenPort
        // A Noise static key of this session's own, signed by the node key: made only when the
        // handshake starts.
        let ephemeralKey = keySeed.flatMap { try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("ephemeral".utf8) + $0))) }
        let keys = SessionKeys { [store] in
            let staticKey = keySeed.flatMap { try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("static".utf8) + $0))) }
                ?? Curve25519.KeyAgreement.PrivateKey()
            let signature = (try? store.signChallenge(HandshakeIdentity.bindingMessage(Array(staticKey.publicKey.rawRepresentation)))) ?? []
            return (HandshakeIdentity(node: id.node, publicKey: id.publicKey, signature: signature), staticKey)
        }
        let root = store.courtRoot.map(HandshakeIdentity.rootBytes) ?? []
        session = Session(
            local: hello, initiator: direction == .outbound, keys: keys, prologue: HandshakeIdentity.prologue(courtRoot: root), ephemeralKey: ephemeralKey,
            config: config)
    }

    public var isOver: Bool { ended }

    /// The connection is up: say hello. The merge-session row is written only once the peer is
    /// known to be a member, so that strangers leave nothing durable behind.
    public func start() {
        session.setClock(store.courtTime, hops: store.clockHops)
        run(.start)
    }

    /// Ends the session now with `error` (the peer is told), e.g. busy when its slot is needed.
    public func abort(_ error: SyncError) { run(.failed(error)) }

    private var sessionKind: String { summary.direction == .inbound ? "sync-in" : "sync-out" }

    /// The merge-session row, written when the first batch arrives (its operations name it) or
    /// when the session ends.
    private func recordSession() throws -> Int64 {
        if let id = summary.session { return id }
        let id = try store.beginSession(kind: sessionKind, peer: summary.peerName, address: summary.address, startedAt: startedCourtTime)
        summary.session = id
        logger[metadataKey: "session.id"] = "\(id)"
        return id
    }

    public func received(_ bytes: [UInt8]) {
        guard !ended else { return }
        summary.bytesIn += bytes.count
        run(.received(bytes))
    }

    /// Call periodically (e.g. every 250 ms): checks the timeouts.
    public func tick() { run(.tick) }

    /// The transport closed or failed.
    public func transportClosed(_ error: SyncError?) { run(.closed(error)) }

    private func run(_ event: Session.Event) {
        var queue = session.handle(event, now: clock.milliseconds())
        var index = 0
        while index < queue.count {
            let action = queue[index]
            index += 1
            if let next = perform(action) { queue += session.handle(next, now: clock.milliseconds()) }
        }
    }

    private func perform(_ action: Session.Action) -> Session.Event? {
        do {
            switch action {
            case .sendClear(let bytes):
                summary.bytesOut += bytes.count
                transport?.write(bytes)
                return nil
            case .send(let original):
                let rewritten = rewriteOutgoing?(original) ?? nil
                let frame = rewritten ?? original
                var bytes: [UInt8]
                if case .batch(let id, _) = frame, rewritten == nil, let measured = measuredBatch, measured.id == id {
                    bytes = measured.bytes
                    runEncoding = measured.context
                    measuredBatch = nil
                } else {
                    bytes = frame.encoded(runs: &runEncoding)
                }
                bytes = try session.seal(bytes)
                summary.bytesOut += bytes.count
                if case .batch(_, let runs) = frame {
                    for run in runs {
                        summary.sent += run.entries.count
                        summary.sentByOrigin[run.origin.hex, default: 0] += run.entries.count
                    }
                    reportProgress()
                }
                transport?.write(bytes)
                return nil
            case .authorize(let proven):
                summary.peerNode = proven.node.hex
                logger[metadataKey: "peer.node"] = "\(proven.node.short)"
                // The prologue already held the court root: only membership is left to decide.
                let verdict = try store.authorize(node: proven.node, publicKey: proven.publicKey, court: store.identity.court)
                if !verdict.allowed {
                    summary.peerName = verdict.name
                    logger.debug("refused node \(proven.node.short): \(verdict.reason); it gets no data")
                    return .authorized(verdict, vector: VersionVector())
                }
                if let error = admit?() { return .failed(error) }
                authenticated = true
                summary.peerName = verdict.name
                return .authorized(verdict, vector: try store.vector())
            case .greeted(let hello):
                summary.peerName = hello.name
                summary.peerListenPort = hello.listenPort == 0 ? nil : Int(hello.listenPort)
                if let correction = try store.observePeerClock(hello.clock, hops: hello.clockHops, peer: hello.name, peerKey: hello.publicKey, receivedAt: store.courtTime) {
                    if correction.deltaMs != 0 {
                        summary.clockCorrectionMs = correction.deltaMs
                        logger.notice("court time corrected by \(correction.deltaMs) ms from \(hello.name) (\(correction.hops) hops from the admin)")
                    }
                    if correction.newOrigin {
                        logger.warning("this node's stamps ran ahead of court time (its PC clock jumped): it goes on under a new origin")
                    }
                }
                return nil
            case .loadBatch(let after):
                let runs = try loadBounded(after: after)
                return runs.isEmpty ? .exhausted(vector: try store.vector()) : .batchLoaded(runs)
            case .apply(let id, let runs):
                return apply(id: id, runs: runs)
            case .finish:
                summary.ok = true
                session.localVectorAtEnd = try store.vector()
                summary.inSync = session.inSync
                end(outcome: "ok")
                return nil
            case .fail(let error):
                summary.errorCode = error.code.rawValue
                summary.error = error.message
                summary.hint = error.hint
                end(outcome: "failed: \(error.message)")
                return nil
            }
        } catch let error as SyncError {
            return .failed(error)
        } catch let error as ReplicaError {
            return .failed(SyncError(.storage, "this replica failed: \(error.message)", hint: error.hint))
        } catch {
            return .failed(SyncError(.storage, "this replica failed: \(error)"))
        }
    }

    private func apply(id: UInt64, runs: [OperationRun]) -> Session.Event {
        do {
            // Merged into the tables once, when the session ends (`end`).
            let report = try store.apply(runs, session: try recordSession(), deferMerge: true)
            for (origin, count) in report.applied { summary.receivedByOrigin[origin, default: 0] += count }
            summary.received += report.appliedTotal
            summary.duplicates += report.duplicates
            summary.conflicts += report.conflicts
            summary.forks += report.forks
            for fork in report.forks { logger.error("refused a fork: \(fork)") }
            for gap in report.gaps { logger.warning("skipped a run: \(gap)") }
            reportProgress()
            return .applied(id: id, report)
        } catch let error as ReplicaError where error.code == .storage || error.code == .busy {
            return .failed(SyncError(.storage, "could not apply batch \(id): \(error.message)", hint: error.hint))
        } catch let error as ReplicaError {
            return .failed(SyncError(.rejectedBatch, "batch \(id) was refused, nothing of it applied: \(error.message)", hint: "the peer's data is forged or damaged; see `sinkron alerts`"))
        } catch {
            return .failed(SyncError(.storage, "could not apply batch \(id): \(error)"))
        }
    }

    /// The first batch of a session holds at most this many operations, and each next one up to
    /// twice as many as the one before, up to `maxBatchOperations`: the receiver starts on the
    /// first while the next are read and encoded, instead of waiting for a whole 4 MiB batch.
    static let firstBatchOperations = 4_096

    /// The next batch, cut down until its frame fits `maxBatchBytes` (a batch always ends at a
    /// signed operation, so one signed run is the smallest unit). The size is that of the frame
    /// as it will be sent before compression (ids the peer already has go as short
    /// back-references), measured by encoding it against a copy of the stream's id context; that
    /// encoding, compressed, is the one sent.
    private func loadBounded(after cursor: VersionVector) throws -> [OperationRun] {
        let ramp = Self.firstBatchOperations << min(Int(session.nextBatchID) - 1, 20)
        var limit = min(session.config.maxBatchOperations, ramp)
        while true {
            let runs = try store.nextBatch(after: cursor, maxOperations: limit, runOperations: session.config.maxRunOperations)
            let count = runs.reduce(0) { $0 + $1.entries.count }
            var context = runEncoding
            let plain = Frame.batch(id: session.nextBatchID, runs: runs).encodedPlain(runs: &context)
            let bytes = plain.count
            if bytes <= session.config.maxBatchBytes || count <= 1 || limit <= 1 {
                guard bytes <= session.config.maxFrameSize - 64 else {
                    throw SyncError(.storage, "a signed run of origin \(runs.first?.origin.short ?? "?") is too large for one frame (\(bytes) bytes)",
                        hint: "sync this origin by bundle (`sinkron export`/`import`)")
                }
                measuredBatch = runs.isEmpty ? nil : (session.nextBatchID, Frame.compressed(plain), context)
                return runs
            }
            limit = max(1, min(limit, count) / 2)
        }
    }

    private func reportProgress() {
        guard let onProgress else { return }
        var expectedIn = 0
        var expectedOut = 0
        if let local = session.localVector, let peer = session.peerVector {
            for (origin, seq) in peer.entries where seq > local[origin] { expectedIn += Int(seq - local[origin]) }
            for (origin, seq) in local.entries where seq > peer[origin] { expectedOut += Int(seq - peer[origin]) }
        }
        onProgress(
            SyncProgress(
                received: summary.received, sent: summary.sent, expectedToReceive: expectedIn, expectedToSend: expectedOut,
                bytesIn: summary.bytesIn, bytesOut: summary.bytesOut, elapsedMs: clock.milliseconds() - started))
    }

    private func end(outcome: String) {
        guard !ended else { return }
        ended = true
        if authenticated {
            // What the batches appended to the log (and what a session cut off by a crash left).
            // Should this fail, the operations stay in the log, and the next write merges them.
            do {
                summary.conflicts += try store.mergeUnmerged(session: summary.session)
            } catch {
                logger.error("could not merge the operations this session received into the tables: \(error); the next write merges them")
            }
        }
        summary.durationMs = clock.milliseconds() - started
        let idle = summary.ok && summary.session == nil && summary.received == 0 && summary.sent == 0 && summary.conflicts == 0 && summary.forks.isEmpty
        if idle, let peer = summary.peerName {
            do {
                summary.session = try store.recordIdleSession(kind: sessionKind, peer: peer, address: summary.address, startedAt: startedCourtTime, summary: summary)
            } catch {
                logger.error("could not record an idle merge session: \(error)")
            }
        } else if authenticated, let id = try? recordSession() {
            do {
                try store.endSession(id, summary: summary, outcome: outcome)
            } catch {
                logger.error("could not record the end of merge session \(id): \(error)")
            }
        }
        // A connection that never authenticated is the daemon's to count (rate-limited), not a line each.
        if summary.ok { logger.info("\(summary.line)") } else if authenticated { logger.warning("\(summary.line)") } else { logger.debug("\(summary.line)") }
        transport?.close()
        let onEnd = onEnd
        // The callbacks capture their owners (a daemon's connection, a timer that holds this
        // driver): dropping them here breaks those cycles, or every session would stay in memory.
        self.onEnd = nil
        onProgress = nil
        admit = nil
        onEnd?(summary)
    }
}
