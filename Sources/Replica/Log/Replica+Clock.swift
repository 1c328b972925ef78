import Foundation

/// Where this node's court time comes from (`sinkron whoami`).
public struct ClockStatus: Sendable, Codable, Equatable {
    /// Court time now, milliseconds since 1970.
    public var now: UInt64
    /// Milliseconds added to this PC's clock to get court time (negative: the PC's clock is ahead).
    public var offsetMs: Int64
    /// Sessions between this node and the admin's clock: 0 on the admin, 1 after a session with
    /// it, 2 after one with a node at 1, …; nil until learned in a session.
    public var hops: Int?
    /// Who the correction was learned from: a peer's name, or "invitation".
    public var source: String?
    /// Court time when it was last corrected (or learned from another source).
    public var checkedAt: Int64?
}

/// A correction of court time learned in a sync session.
public struct ClockCorrection: Sendable, Equatable {
    /// How far court time moved (negative: back).
    public var deltaMs: Int64
    public var hops: Int
    public var source: String
    /// Stamps had run ahead of court time: the node went on under a new origin.
    public var newOrigin: Bool
}

/// Court time. Every write is stamped with a hybrid clock whose physical part should read the
/// same on every PC; court PCs often do not (a flat CMOS battery, a wrong time zone, a clock set
/// by hand), and last-writer-wins between concurrent edits would then favour the PC whose clock
/// runs ahead. So each node corrects its clock against the court admin's:
///
/// - The admin's clock is the reference (hop 0). Each hello carries the sender's court time and
///   its hops from the admin, both signed in the handshake. After a session with a member at h
///   hops, a node at more than h hops (or unknown) takes the member's time as court time and
///   stands at h + 1; at equal or fewer hops it keeps its own. Corrections are refreshed at
///   every such session, so drift and clock changes are taken up.
/// - A new desk starts from its invitation's time when its own clock is more than 5 minutes
///   behind it or more than a day after it (the invitation is carried on a flash disk the same
///   day): a PC years ahead never stamps a single write with its own clock.
/// - The correction (an offset to the PC's clock) is kept in `meta`, so it survives restarts and
///   is shared by every process opening the replica.
/// - Stamps rise within an origin. A correction back in time by at most 5 minutes is taken up by
///   counting on from the last stamp; after a larger one (the PC's clock jumped forward between
///   two sessions and writes were stamped ahead) the node goes on under a new origin from court
///   time, so the jump decides at most the edits made before the session that caught it.
/// - A correction of more than 5 minutes raises a `clock` alert: the PC's clock should be fixed.
extension Replica {
    /// Hops announced by a node that has not learned court time in a session.
    public static let unknownClockHops: UInt8 = .max

    /// Court time now, milliseconds since 1970.
    public var courtTime: UInt64 { clock.now() }

    /// Court time as a date.
    public var courtDate: Date { Date(timeIntervalSince1970: Double(courtTime) / 1000) }

    /// Hops between this node's clock and the admin's, as announced in a hello.
    public var clockHops: UInt8 { isAdmin ? 0 : storedClockHops ?? Self.unknownClockHops }

    public func clockStatus() throws -> ClockStatus {
        let meta = try clockMeta()
        return ClockStatus(
            now: courtTime, offsetMs: clock.offset, hops: isAdmin ? 0 : meta.hops.map(Int.init), source: isAdmin ? nil : meta.source,
            checkedAt: meta.checked)
    }

    /// Takes a peer's court time from a session's hello, if the peer is nearer the admin's clock.
    ///
    /// `peerTime` is what the peer's hello said; `receivedAt` is this node's court time when the
    /// hello arrived (the one-way delay on a LAN is well under a millisecond, and ignoring it can
    /// only leave us a little behind, never ahead). Call only for an authenticated member.
    /// Only the admin (whose key is the court root) may announce hop 0.
    @discardableResult
    public func observePeerClock(
        _ peerTime: UInt64, hops peerHops: UInt8, peer: String, peerKey: [UInt8], receivedAt: UInt64
    ) throws -> ClockCorrection? {
        guard !isAdmin, peerHops < Self.unknownClockHops - 1 else { return nil }
        guard peerHops > 0 || peerKey.hex == courtRoot else { return nil }
        let hops = peerHops + 1
        let stored = try clockMeta()
        guard hops <= stored.hops ?? Self.unknownClockHops else { return nil }
        let latest = UInt64(HybridClock.latest)
        let delta = Int64(min(peerTime, latest)) - Int64(min(receivedAt, latest))
        let (offset, overflow) = clock.offset.addingReportingOverflow(delta)
        guard !overflow else { return nil }
        // Court time is kept to the second: the daemon meets its peers every few seconds, and
        // each write of the correction is a transaction.
        let moves = abs(offset - stored.offset) >= 1_000
        if moves || stored.hops != hops || stored.source != peer {
            clock.offset = moves ? offset : stored.offset
            try saveClockCorrection(offset: clock.offset, hops: hops, source: peer, previous: stored.offset)
        }
        var correction = ClockCorrection(deltaMs: clock.offset - stored.offset, hops: Int(hops), source: peer, newOrigin: false)
        try refreshClock()
        if clock.last.milliseconds > clock.now() + HybridClock.maxDrift {
            // Our stamps ran ahead of court time (the PC's clock jumped forward since the last
            // session, whether or not it has been set right since). Stamps rise within an origin,
            // so under this one the node would win every concurrent edit until court time caught
            // up: it goes on under a new origin instead.
            try startOrigin(predecessor: origin, restartClock: true)
            correction.newOrigin = true
        }
        return correction
    }

    /// A new desk's first court time: its invitation's, when its own clock cannot be right.
    func adoptInvitationClock(issuedAt: UInt64, admin: String) throws {
        let own = clock.now()
        let ahead = own > issuedAt && own - issuedAt > Self.invitationAge
        let behind = own < issuedAt && issuedAt - own > HybridClock.maxDrift
        guard ahead || behind else { return }
        let delta = Int64(min(issuedAt, UInt64(HybridClock.latest))) - Int64(own)
        clock.offset += delta
        try saveClockCorrection(offset: clock.offset, hops: nil, source: "invitation from \(admin)", previous: clock.offset - delta)
    }

    /// How long after it was written an invitation's time is still plausible.
    static let invitationAge: UInt64 = 24 * 3_600_000

    private func saveClockCorrection(offset: Int64, hops: UInt8?, source: String, previous: Int64) throws {
        try storage {
            try db.transaction {
                try db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_offset', ?), ('clock_hops', ?), ('clock_source', ?), ('clock_checked', ?)")
                    .bind(.int(offset), hops.map { .int(Int64($0)) } ?? .null, .text(source), .int(Int64(clock.now()))).run()
                let moved = offset - previous
                if moved.magnitude > HybridClock.maxDrift {
                    let direction = moved < 0 ? "ahead of" : "behind"
                    try raiseAlert(
                        kind: "clock", origin: nil, seq: nil,
                        detail: "this PC's clock was \(Self.describe(milliseconds: moved.magnitude)) \(direction) court time (learned from \(source)); sinkron now stamps court time. Set the PC's date and time.")
                }
            }
        }
        storedClockHops = hops
    }

    func clockMeta() throws -> (offset: Int64, hops: UInt8?, source: String?, checked: Int64?) {
        var result: (offset: Int64, hops: UInt8?, source: String?, checked: Int64?) = (0, nil, nil, nil)
        try db.cached("SELECT key, value FROM meta WHERE key IN ('clock_offset', 'clock_hops', 'clock_source', 'clock_checked')").forEach { row in
            switch (row.text(0), row.value(1)) {
            case ("clock_offset", .int(let v)): result.offset = v
            case ("clock_hops", .int(let v)): result.hops = UInt8(clamping: v)
            case ("clock_source", .text(let v)): result.source = v
            case ("clock_checked", .int(let v)): result.checked = v
            default: break
            }
        }
        return result
    }

    /// "3 years 12 days", "4 min 3 s", "250 ms".
    public static func describe(milliseconds ms: UInt64) -> String {
        if ms < 1_000 { return "\(ms) ms" }
        let s = ms / 1_000
        let units: [(UInt64, String)] = [(365 * 86_400, "year"), (86_400, "day"), (3_600, "h"), (60, "min"), (1, "s")]
        var parts: [String] = []
        var rest = s
        for (size, name) in units where rest >= size && parts.count < 2 {
            let count = rest / size
            rest %= size
            parts.append(name.count > 3 ? "\(count) \(name)\(count == 1 ? "" : "s")" : "\(count) \(name)")
        }
        return parts.joined(separator: " ")
    }
}
