import Foundation

/// One record as `sinkron list` shows it. The JSON shape is documented in the README.
public struct RecordSummary: Sendable, Codable, Equatable {
    public var id: String
    public var kind: String
    public var sop: String
    public var title: String
    public var status: String
    /// The step the flow is at (nil when done or archived).
    public var step: Int?
    public var stepActivity: String?
    public var stepGloss: String?
    /// The roles that act next.
    public var nextRoles: [String]
    public var stepSince: Date?
    /// The SOP time standard of the current step, in working minutes (nil for days or no deadline).
    public var stepMinutes: Int?
    /// The time standard that applies now, as the SOP writes it ("15 menit", "1 hari kerja", "relatif").
    public var timeStandard: String?
    /// What it covers: "step" (the current step, since it became current) or "record" (the whole
    /// procedure, since the record was created).
    public var timeFor: String?
    /// When the standard is met at the latest, in the court's working time; nil: no deadline.
    public var due: Date?
    public var overdue: Bool
    /// Minutes past the time standard (or past the task's due time), when overdue.
    public var overdueMinutes: Int?
    public var createdAt: Date
    public var createdBy: String
    public var author: String
    public var updatedAt: Date
}

/// A step event of a record.
public struct StepEntry: Sendable, Codable, Equatable {
    public var op: String
    public var at: Date
    public var step: Int
    public var activity: String?
    public var branch: String?
    public var note: String
    public var node: String
    public var role: String
    public var author: String
    /// ok, out-of-order, unauthorized, missing-branch or pending.
    public var status: String
}

public struct CommentEntry: Sendable, Codable, Equatable {
    public var op: String
    public var at: Date
    public var node: String
    public var author: String
    public var text: String
}

/// Everything `sinkron show` prints about one record.
public struct RecordDetail: Sendable, Codable, Equatable {
    public var summary: RecordSummary
    /// Field name → current value (null when unset).
    public var fields: [String: String?]
    public var steps: [StepEntry]
    public var comments: [CommentEntry]
    /// Letters whose `for_record` is this record.
    public var letters: [String]
    /// Concurrent writes recorded on this record's fields.
    public var conflicts: Int
    /// The record this one does steps with: a bug report's or deletion request's letter, or the
    /// letter's bug report or deletion request.
    public var linked: LinkedProgress? = nil
}

/// Where a linked record's flow is: a parent sees its letter's progress, the letter its parent's.
public struct LinkedProgress: Sendable, Codable, Equatable {
    /// "letter" (the record's letter) or "parent" (the record the letter is for).
    public var relation: String
    public var id: String
    public var kind: String
    public var sop: String
    public var status: String
    public var step: Int?
    public var activity: String?
    public var nextRoles: [String]
    /// The parent's steps the letter does, e.g. "5-9".
    public var covers: String
}

/// One operation on a record, as `sinkron history` prints it.
public struct HistoryEntry: Sendable, Codable, Equatable {
    public var op: String
    public var at: Date
    public var hlc: UInt64
    public var node: String
    public var role: String
    public var author: String
    public var kind: String
    public var summary: String
    public var field: String?
    public var value: String?
    /// For field writes: won, lost, replaced or refused.
    public var outcome: String?
    /// For field writes: the concurrent writes it won or lost against.
    public var against: [String]
    /// For steps: ok, out-of-order, unauthorized, missing-branch or pending.
    public var stepStatus: String?
    /// How the operation reached this replica: "local", or the merge session that brought it.
    public var via: String
    public var session: Int64?
    public var clockAhead: Bool
}

/// A pair of concurrent writes, as `sinkron conflicts` prints it.
public struct ConflictEntry: Sendable, Codable, Equatable {
    public var record: String
    public var field: String
    public var winner: String
    public var loser: String
    public var winnerValue: String
    public var loserValue: String
    public var winnerNode: String
    public var loserNode: String
    public var winnerAt: Date
    public var loserAt: Date
}

/// Two or more letters given the same number (by two numbering nodes that never met).
public struct NumberCollision: Sendable, Codable, Equatable {
    public var number: String
    public var letters: [String]
}

/// A merge session: a bundle import here; network sessions in the sync protocol.
public struct SessionEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var kind: String
    public var peer: String?
    public var address: String?
    public var startedAt: Date
    public var endedAt: Date?
    public var received: Int
    public var sent: Int
    public var conflicts: Int
    public var bytesIn: Int
    public var bytesOut: Int
    public var outcome: String?
    public var detail: String?
    /// Operations in and out per origin, most first (see `Replica.endSession`).
    public var traffic: [OriginTraffic] = []
}

/// What one merge session moved of one origin's log.
public struct OriginTraffic: Sendable, Codable, Equatable {
    /// The origin's node name (its short id when this replica does not know it).
    public var node: String
    public var origin: String
    /// Operations newly applied here.
    public var received: Int
    /// Operations sent to the peer.
    public var sent: Int
}

public struct AlertEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var kind: String
    public var origin: String?
    public var seq: Int64?
    public var detail: String
}
