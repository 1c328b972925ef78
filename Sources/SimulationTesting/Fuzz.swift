import Foundation
import Logging
import Replica
import ReplicaTesting
import SyncSession

/// What a fuzz run did.
public struct FuzzReport: Sendable {
    public var inputs = 0
    /// Inputs the target refused (a failed session, a refused bundle).
    public var rejected = 0
    /// Inputs that changed a replica (a valid prefix was applied) and were rolled back.
    public var restored = 0
    public var failures: [String] = []
    /// The slowest single input (ms).
    public var slowestMs = 0.0
    public var maxResidentMB = 0
    /// How the rejected inputs ended (error code, and the first words of the message).
    public var outcomes: [String: Int] = [:]
    public init() {}

    public mutating func merge(_ other: FuzzReport) {
        inputs += other.inputs
        rejected += other.rejected
        restored += other.restored
        failures += other.failures
        slowestMs = max(slowestMs, other.slowestMs)
        maxResidentMB = max(maxResidentMB, other.maxResidentMB)
        for (key, value) in other.outcomes { outcomes[key, default: 0] += value }
    }
}

/// Seeded mutations of real inputs: bit flips, byte inserts and deletes, splices of whole frames,
/// length-prefix edits, truncations.
public struct Mutator {
    public var rng: SplitMix64
    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    static let interesting: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20]

    /// `frames`: the input cut into frames (each with its length prefix), for frame-level edits.
    /// `donors`: other frames that may be spliced in.
    public mutating func mutate(frames: [[UInt8]], donors: [[UInt8]]) -> [UInt8] {
        var frames = frames
        // Frame-level edits first (they keep the rest of the stream well-formed).
        if rng.chance(30), !frames.isEmpty {
            switch rng.below(6) {
            case 0: frames.remove(at: rng.below(frames.count))
            case 1: let i = rng.below(frames.count); frames.insert(frames[i], at: rng.below(frames.count + 1))
            case 2: frames.swapAt(rng.below(frames.count), rng.below(frames.count))
            case 3: if !donors.isEmpty { frames.insert(rng.pick(donors), at: rng.below(frames.count + 1)) }
            case 4: frames = Array(frames.prefix(rng.below(frames.count + 1)))
            default:
                // A frame's body spliced with another's.
                let i = rng.below(frames.count)
                let other = donors.isEmpty ? rng.pick(frames) : rng.pick(donors)
                let cut = rng.below(frames[i].count + 1)
                frames[i] = Array(frames[i].prefix(cut) + other.suffix(max(0, other.count - cut)))
            }
        }
        // Byte-level edits on one frame, or anywhere in the stream.
        var bytes: [UInt8]
        var edits = 1 + rng.below(3)
        if rng.chance(20) { edits = 0 }
        if rng.chance(60), !frames.isEmpty {
            let i = rng.below(frames.count)
            frames[i] = mutateBytes(frames[i], edits: edits, lengthPrefix: true)
            bytes = frames.flatMap { $0 }
        } else {
            bytes = mutateBytes(frames.flatMap { $0 }, edits: edits, lengthPrefix: false)
        }
        return bytes
    }

    public mutating func mutateBytes(_ input: [UInt8], edits: Int, lengthPrefix: Bool) -> [UInt8] {
        var bytes = input
        for _ in 0..<edits {
            switch rng.below(lengthPrefix ? 9 : 8) {
            case 0, 1:
                guard !bytes.isEmpty else { continue }
                let i = rng.below(bytes.count)
                bytes[i] ^= 1 << UInt8(rng.below(8))
            case 2:
                guard !bytes.isEmpty else { continue }
                bytes[rng.below(bytes.count)] = rng.chance(50) ? rng.pick(Self.interesting) : UInt8(truncatingIfNeeded: rng.next())
            case 3:
                let value = rng.chance(50) ? rng.pick(Self.interesting) : UInt8(truncatingIfNeeded: rng.next())
                bytes.insert(value, at: rng.below(bytes.count + 1))
            case 4:
                guard !bytes.isEmpty else { continue }
                let i = rng.below(bytes.count)
                bytes.removeSubrange(i..<min(bytes.count, i + 1 + rng.below(8)))
            case 5:
                // A varint made endless or huge.
                guard !bytes.isEmpty else { continue }
                let i = rng.below(bytes.count)
                for j in i..<min(bytes.count, i + 1 + rng.below(10)) { bytes[j] = 0xff }
            case 6:
                // A block repeated.
                guard !bytes.isEmpty else { continue }
                let i = rng.below(bytes.count)
                let block = Array(bytes[i..<min(bytes.count, i + 1 + rng.below(64))])
                bytes.insert(contentsOf: block, at: rng.below(bytes.count + 1))
            case 7:
                guard !bytes.isEmpty else { continue }
                bytes = Array(bytes.prefix(rng.below(bytes.count)))
            default:
                // The length prefix: off by a little, zero, huge, or random.
                guard bytes.count >= 4 else { continue }
                let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
                let new: Int
                switch rng.below(5) {
                case 0: new = max(0, length + rng.below(9) - 4)
                case 1: new = 0
                case 2: new = Int(UInt32.max) - rng.below(4)
                case 3: new = Frame.maxFrameSize + rng.below(2)
                default: new = Int(truncatingIfNeeded: rng.next() & 0xffff_ffff)
                }
                bytes[0] = UInt8(truncatingIfNeeded: new >> 24)
                bytes[1] = UInt8(truncatingIfNeeded: new >> 16)
                bytes[2] = UInt8(truncatingIfNeeded: new >> 8)
                bytes[3] = UInt8(truncatingIfNeeded: new)
            }
        }
        return bytes
    }
}

func frameNames(_ bytes: [UInt8]) -> String {
    var decoder = FrameDecoder()
    decoder.append(bytes)
    var names: [String] = []
    while let frame = try? decoder.next() {
        if case .batch(let id, _) = frame { names.append("batch\(id)") } else if case .ack(let id, _) = frame { names.append("ack\(id)") } else { names.append(frame.name) }
    }
    return names.joined(separator: ",")
}

/// Resident memory of this process (MB), from /proc (0 where there is none).
func residentMB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
}

/// A small court whose real session was recorded: the fuzz targets' seed corpus and victims.
public final class FuzzCourt {
    final class Recorder: SessionTransport {
        var frames: [[UInt8]] = []
        var closed = false
        func write(_ bytes: [UInt8]) { frames.append(bytes) }
        func close() { closed = true }
    }

    final class StepClock: SyncClock, @unchecked Sendable {
        var ms: UInt64 = 1_000
        func milliseconds() -> UInt64 { ms }
    }

    let homes: SimulationHomes
    /// The two nodes, each after the recorded session (they hold everything).
    var admin: Replica
    var desk: Replica
    /// The admin before the session (it lacks the desk's operations): a backup file.
    let adminBefore: String
    let deskBefore: String
    /// The frames each side received in the recorded session.
    public let toAdmin: [[UInt8]]
    public let toDesk: [[UInt8]]
    /// The frames inside the encrypted channel (each encoded on its own), for the frame decoder:
    /// mutated records fail authentication before their frames are ever decoded.
    public let framesToAdmin: [[UInt8]]
    public let framesToDesk: [[UInt8]]
    let config: SessionConfig = {
        var config = SessionConfig()
        config.maxBatchOperations = 9
        return config
    }()
    let adminChallenge: [UInt8] = Array(repeating: 0xA1, count: 32)
    let deskChallenge: [UInt8] = Array(repeating: 0xD2, count: 32)
    /// A real bundle of everything the desk wrote, and the runs in it.
    public let bundle: [UInt8]
    let logger: Logger = {
        var logger = Logger(label: "sinkron.fuzz")
        logger.logLevel = .critical
        return logger
    }()

    public init() throws {
        homes = try SimulationHomes(seed: 11)
        let clock = ManualClock()
        admin = try homes.replica("admin", role: .kasubbag, clock: clock)
        desk = try homes.member("desk", role: .mejaSatu, invitedBy: admin, clock: clock)
        try desk.fill(records: 4, sets: 30, batch: 7, seed: 11) { _ in }
        for i in 0..<3 { _ = try desk.fileBug(title: "SIPP macet \(i)", description: "error \(i)") }
        try admin.fill(records: 2, sets: 10, batch: 5, seed: 12) { _ in }
        adminBefore = (homes.root as NSString).appendingPathComponent("admin-before.db")
        deskBefore = (homes.root as NSString).appendingPathComponent("desk-before.db")
        try admin.backup(to: adminBefore)
        try desk.backup(to: deskBefore)
        let bundlePath = (homes.root as NSString).appendingPathComponent("desk.sinkron")
        try desk.exportBundle(to: bundlePath, since: nil)
        bundle = Array(try Data(contentsOf: URL(fileURLWithPath: bundlePath)))

        let config = self.config
        let clockS = StepClock()
        let client = SessionDriver(store: desk, direction: .outbound, address: "fuzz:admin", config: config, clock: clockS, logger: logger, keySeed: deskChallenge)
        let server = SessionDriver(store: admin, direction: .inbound, address: "fuzz:desk", config: config, clock: clockS, logger: logger, keySeed: adminChallenge)
        let clientOut = Recorder()
        let serverOut = Recorder()
        client.transport = clientOut
        server.transport = serverOut
        let innerToAdmin = Recorder()
        let innerToDesk = Recorder()
        client.rewriteOutgoing = { frame in
            innerToAdmin.write(frame.encoded())
            return nil
        }
        server.rewriteOutgoing = { frame in
            innerToDesk.write(frame.encoded())
            return nil
        }
        server.start()
        client.start()
        var toAdmin: [[UInt8]] = []
        var toDesk: [[UInt8]] = []
        var moved = true
        while moved {
            moved = false
            if !clientOut.frames.isEmpty {
                let f = clientOut.frames.removeFirst()
                toAdmin.append(f)
                server.received(f)
                moved = true
            }
            if !serverOut.frames.isEmpty {
                let f = serverOut.frames.removeFirst()
                toDesk.append(f)
                client.received(f)
                moved = true
            }
        }
        guard client.summary.ok, server.summary.ok, try admin.digest() == desk.digest() else {
            throw ReplicaError(.storage, "the recorded session did not finish: \(client.summary.error ?? server.summary.error ?? "?")")
        }
        self.toAdmin = toAdmin
        self.toDesk = toDesk
        framesToAdmin = innerToAdmin.frames
        framesToDesk = innerToDesk.frames
    }

    /// Puts the backup `file` in place of `name`'s database and opens it again.
    func restore(_ name: String, from file: String) throws -> Replica {
        try FileManager.default.createDirectory(atPath: homes.home(name), withIntermediateDirectories: true)
        let db = Replica.databasePath(home: homes.home(name))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        try FileManager.default.copyItem(atPath: file, toPath: db)
        return try homes.reopen(name, clock: ManualClock())
    }
}

/// Fuzzes the frame decoder and the session state machine with its driver on a real replica:
/// mutated recordings of real sessions are fed to a fresh session (in random chunks, then time
/// passes and the connection closes). No input may crash, hang or grow memory without bound, and
/// a session that took nothing in must leave the replica's digest unchanged.
public final class SessionFuzzer {
    let court: FuzzCourt
    var mutator: Mutator
    let seed: UInt64
    /// Victims that lack what the recording carries (so valid batches get applied), restored after.
    var adminFresh: Replica
    var deskFresh: Replica
    let adminFreshDigest: String
    let deskFreshDigest: String
    let adminDigest: String
    let deskDigest: String

    public init(seed: UInt64, court: FuzzCourt? = nil) throws {
        self.seed = seed
        self.court = try court ?? FuzzCourt()
        mutator = Mutator(seed: seed)
        adminDigest = try self.court.admin.digest()
        deskDigest = try self.court.desk.digest()
        adminFresh = try self.court.restore("admin-fresh", from: self.court.adminBefore)
        deskFresh = try self.court.restore("desk-fresh", from: self.court.deskBefore)
        adminFreshDigest = try adminFresh.digest()
        deskFreshDigest = try deskFresh.digest()
    }

    /// One input for the decoder alone: what decodes must encode to the same bytes.
    func decoderRoundTrip(_ bytes: [UInt8], into report: inout FuzzReport) {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        var offset = 0
        while true {
            do {
                guard let frame = try decoder.next() else { break }
                let encoded = frame.encoded()
                var again = FrameDecoder()
                again.append(encoded)
                if (try? again.next()) != frame {
                    report.failures.append("frame \(frame.name) at offset \(offset) does not survive encode/decode")
                }
                offset += encoded.count
            } catch {
                break
            }
            if decoder.buffered > Frame.maxFrameSize + bytes.count { report.failures.append("decoder buffered \(decoder.buffered) bytes") }
        }
    }

    public func run(iterations: Int, progress: ((Int) -> Void)? = nil) -> FuzzReport {
        var report = FuzzReport()
        let baseMB = residentMB()
        for i in 0..<iterations {
            if i % 1000 == 0 {
                progress?(i)
                let mb = residentMB()
                report.maxResidentMB = max(report.maxResidentMB, mb)
                if mb > baseMB + 1024 { report.failures.append("resident memory grew from \(baseMB) MB to \(mb) MB after \(i) inputs") }
            }
            let started = DispatchTime.now().uptimeNanoseconds
            one(i, &report)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            report.slowestMs = max(report.slowestMs, ms)
            if ms > 5_000 { report.failures.append("input \(i) of seed \(seed) took \(Int(ms)) ms") }
            if report.failures.count > 20 { break }
        }
        return report
    }

    /// The recordings fed back unmutated, one per victim: each must give a finished session.
    public func replayUnmutated() -> [String] {
        var outcomes: [String] = []
        for (toAdmin, fresh) in [(true, false), (true, true), (false, false), (false, true)] {
            var report = FuzzReport()
            one(0, &report, forced: (toAdmin, fresh, (toAdmin ? court.toAdmin : court.toDesk).flatMap { $0 }))
            outcomes.append(report.outcomes.keys.joined() + report.failures.joined(separator: "; "))
        }
        return outcomes
    }

    private func one(_ i: Int, _ report: inout FuzzReport, forced: (Bool, Bool, [UInt8])? = nil) {
        report.inputs += 1
        let toAdmin = forced?.0 ?? mutator.rng.chance(60)
        let frames = toAdmin ? court.toAdmin : court.toDesk
        let donors = toAdmin ? court.toDesk : court.toAdmin
        let input = forced?.2 ?? mutator.mutate(frames: frames, donors: donors)
        decoderRoundTrip(input, into: &report)
        if forced == nil {
            let inner = toAdmin ? court.framesToAdmin : court.framesToDesk
            decoderRoundTrip(mutator.mutate(frames: inner, donors: toAdmin ? court.framesToDesk : court.framesToAdmin), into: &report)
        }
        // Mostly a victim that already holds everything (nothing valid is new to it); sometimes
        // one that lacks it, restored when something valid was applied.
        let fresh = forced?.1 ?? mutator.rng.chance(10)
        let replica: Replica
        let digest: String
        switch (toAdmin, fresh) {
        case (true, false): (replica, digest) = (court.admin, adminDigest)
        case (true, true): (replica, digest) = (adminFresh, adminFreshDigest)
        case (false, false): (replica, digest) = (court.desk, deskDigest)
        case (false, true): (replica, digest) = (deskFresh, deskFreshDigest)
        }
        let clock = FuzzCourt.StepClock()
        let out = FuzzCourt.Recorder()
        let driver = SessionDriver(
            store: replica, direction: toAdmin ? .inbound : .outbound, address: "fuzz", config: court.config, clock: clock, logger: court.logger,
            keySeed: toAdmin ? court.adminChallenge : court.deskChallenge)
        driver.transport = out
        driver.start()
        // Delivered as a peer sends it: a frame at a time (split at random inside), since a real
        // peer sends each frame only after the victim's previous answer; where a length prefix
        // makes no sense, the rest goes in one piece.
        var rest = input[...]
        while !rest.isEmpty && !driver.isOver {
            var frame = rest.count
            if rest.count >= 4 {
                let s = rest.startIndex
                let length = Int(rest[s]) << 24 | Int(rest[s + 1]) << 16 | Int(rest[s + 2]) << 8 | Int(rest[s + 3])
                if length + 4 <= rest.count { frame = length + 4 }
            }
            var piece = rest.prefix(frame)
            rest = rest.dropFirst(frame)
            while !piece.isEmpty && !driver.isOver {
                let take = mutator.rng.chance(70) ? piece.count : 1 + mutator.rng.below(piece.count)
                driver.received(Array(piece.prefix(take)))
                piece = piece.dropFirst(take)
                clock.ms += UInt64(mutator.rng.below(100))
            }
        }
        // The peer goes quiet: the timeouts end the session, or the connection closes.
        if mutator.rng.chance(50) {
            for _ in 0..<40 where !driver.isOver {
                clock.ms += 1_000
                driver.tick()
            }
        }
        if !driver.isOver { driver.transportClosed(mutator.rng.chance(50) ? nil : SyncError(.connection, "fuzz: reset")) }
        if !driver.isOver { report.failures.append("seed \(seed) input \(i): the session is still open after its connection closed") }
        let summary = driver.summary
        if !summary.ok {
            report.rejected += 1
            let words = forced != nil ? (summary.error ?? "") + " sent " + frameNames(out.frames.flatMap { $0 }) + "; frames in: " + frameNames(input) : (summary.error ?? "").split(separator: " ").prefix(4).joined(separator: " ")
            report.outcomes["\(summary.errorCode ?? "?"): \(words)", default: 0] += 1
        } else {
            report.outcomes["ok", default: 0] += 1
        }
        if out.frames.count > 10_000 { report.failures.append("seed \(seed) input \(i): the session wrote \(out.frames.count) frames") }
        do {
            if !fresh {
                // Nothing in any input is new to this replica: it must be exactly as before.
                if i % 8 == 0 || !summary.ok && summary.errorCode == SyncError.Code.rejectedBatch.rawValue, try replica.digest() != digest {
                    report.failures.append("seed \(seed) input \(i): the digest of \(toAdmin ? "admin" : "desk") changed (session \(summary.ok ? "ok" : summary.errorCode ?? "?"))")
                }
            } else if summary.received == 0 && summary.duplicates == 0 {
                // Nothing was applied: unchanged.
                if try replica.digest() != digest {
                    report.failures.append("seed \(seed) input \(i): a session that applied nothing changed the replica (\(summary.errorCode ?? "ok"))")
                }
            } else {
                // Something valid was applied: the log still verifies; then start again from the backup.
                if i % 4 == 0 {
                    let verify = try replica.verify()
                    if !verify.ok { report.failures.append("seed \(seed) input \(i): after a partial session the replica does not verify: \(verify.problems)") }
                }
                report.restored += 1
                if toAdmin {
                    adminFresh = try court.restore("admin-fresh", from: court.adminBefore)
                } else {
                    deskFresh = try court.restore("desk-fresh", from: court.deskBefore)
                }
            }
        } catch {
            report.failures.append("seed \(seed) input \(i): checking the replica failed: \(error)")
        }
    }
}

/// Fuzzes bundle import: mutated real bundles (raw, and with the checksum made right again so the
/// mutation reaches the run decoder and the verifier) go through `Bundle.decode` and `apply`.
/// A refused bundle must leave the replica's digest unchanged.
public final class BundleFuzzer {
    let court: FuzzCourt
    var mutator: Mutator
    let seed: UInt64
    /// Recomputes a bundle's trailing SHA-256 (supplied by the caller, who may link Crypto).
    let rechecksum: ([UInt8]) -> [UInt8]
    var fresh: Replica
    let freshDigest: String
    let adminDigest: String

    public init(seed: UInt64, court: FuzzCourt? = nil, rechecksum: @escaping ([UInt8]) -> [UInt8]) throws {
        self.seed = seed
        self.court = try court ?? FuzzCourt()
        self.rechecksum = rechecksum
        mutator = Mutator(seed: seed)
        fresh = try self.court.restore("admin-bundle", from: self.court.adminBefore)
        freshDigest = try fresh.digest()
        adminDigest = try self.court.admin.digest()
    }

    public func run(iterations: Int) -> FuzzReport {
        var report = FuzzReport()
        for i in 0..<iterations {
            let started = DispatchTime.now().uptimeNanoseconds
            one(i, &report)
            report.slowestMs = max(report.slowestMs, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            if report.failures.count > 20 { break }
        }
        return report
    }

    private func one(_ i: Int, _ report: inout FuzzReport) {
        report.inputs += 1
        var bytes = mutator.mutateBytes(court.bundle, edits: 1 + mutator.rng.below(4), lengthPrefix: false)
        if mutator.rng.chance(85), bytes.count > 32 { bytes = rechecksum(Array(bytes.dropLast(32))) }
        let useFresh = mutator.rng.chance(20)
        let replica = useFresh ? fresh : court.admin
        let digest = useFresh ? freshDigest : adminDigest
        do {
            let (_, runs) = try Bundle.decode(bytes)
            do {
                let applied = try replica.apply(runs)
                if useFresh, applied.appliedTotal > 0 {
                    report.restored += 1
                    if i % 4 == 0, try !replica.verify().ok { report.failures.append("seed \(seed) input \(i): after a partial bundle the replica does not verify") }
                    fresh = try court.restore("admin-bundle", from: court.adminBefore)
                    return
                }
            } catch {
                report.rejected += 1
                if try replica.digest() != digest { report.failures.append("seed \(seed) input \(i): a refused bundle changed the replica: \(error)") }
                return
            }
        } catch {
            report.rejected += 1
            return
        }
        do {
            if i % 8 == 0 || useFresh, try replica.digest() != digest {
                report.failures.append("seed \(seed) input \(i): a bundle of nothing new changed the replica")
            }
        } catch {
            report.failures.append("seed \(seed) input \(i): \(error)")
        }
    }
}
