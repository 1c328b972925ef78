/// The data of the merge's three stages (see `Applier`): `MergePrefetch` reads a `MergeState`
/// for a chunk of operations, `MergeExecute` (pure) folds the operations into it and returns
/// `MergeChanges`, `MergeCommit` writes those.

/// One operation handed to the merge, with what the log knows of its origin.
struct MergeOp {
    let op: Operation
    /// Shared by all the operations of one origin that a merge holds: copying a `MergeOp` counts
    /// one reference, not the five of an `OriginInfo`.
    let source: MergeOrigin
    /// `op.body.record`, kept aside: the stages read it for every operation, and reading it
    /// through the body copies the body (and retains all it holds).
    let record: RecordID?

    init(op: Operation, source: MergeOrigin) {
        self.op = op
        self.source = source
        self.record = op.body.record
    }

    init(op: Operation, origin: OriginInfo) { self.init(op: op, source: MergeOrigin(origin)) }

    var origin: OriginInfo { source.info }
}

/// An origin as the merge sees it (one per origin of a merge queue).
final class MergeOrigin: Sendable {
    let info: OriginInfo

    init(_ info: OriginInfo) { self.info = info }
}

/// The create that counts for a record: of all its creates, the one with the smallest
/// (clock, origin, seq).
struct CreateInfo {
    var hlc: HLC
    var origin: OriginID
    var seq: UInt64
    var originIdx: Int64
    var kind: RecordKind
    var sop: String
    var fields: [FieldValue]
    /// Known only for a create of this chunk: who wrote it, and its flow's first step (nil: the
    /// flow's definition is not held).
    var createdBy = ""
    var author = ""
    var start: Int?

    func precedes(_ other: CreateInfo) -> Bool { (hlc.raw, origin, seq) < (other.hlc.raw, other.origin, other.seq) }
}

/// Every write of one field, with the values execute may need.
struct FieldState {
    /// Heads marked.
    var writes: [FieldWrite] = []
    /// The value of each write (same positions): known for every write of the chunk, and for the
    /// stored writes that are valid heads or siblings of a write of the chunk (the only ones that
    /// can win or conflict); nil for the others.
    var values: [String?] = []
    /// The winner when it was read: the column holds its value.
    var storedWinner: OpID?
    var changed = false

    /// The value of a write of this field.
    func value(of op: OpID) -> String? {
        writes.firstIndex { $0.op == op }.flatMap { values[$0] }
    }

    /// The winning write's value.
    var winnerValue: String? { writes.winnerIndex.flatMap { values[$0] } }
}

/// What the merge knows of one record.
struct RecordState {
    var rid: Int64
    var id: RecordID
    /// Whether `records` holds a row for it.
    var stored: Bool
    /// The kind of the row SQLite holds for it (nil: no row).
    var storedKind: RecordKind?
    var kind: RecordKind?
    /// The create that counts; read for a stored record only when the chunk creates it again.
    var create: CreateInfo?
    /// Read (with `hasSteps` and `latest`) for a stored record only when the chunk creates it.
    var archived = false
    var hasSteps = false
    /// The latest millisecond of anything stored for the record.
    var latest: Int64 = .min
    /// The fields the batch writes (all of them once it creates the record).
    var fields: [Field: FieldState] = [:]
    /// Bit `field.rawValue`: the field's write set was read from SQLite (or it has none there).
    var loaded: UInt64 = 0
    /// The record's row of `write_sets` once read (nil: none, or not read yet), and its clock:
    /// commit keeps the fields the batch did not change as they are.
    var storedSets: [UInt8]?
    var storedSetsHLC: Int64 = 0
    var setsRead = false
    /// Everything SQLite holds of it was read (its create, archive, steps, latest change and
    /// every field), or it is new in this batch.
    var complete = false

    // What the chunk did to it.
    var dirty = false
    var touched: Int64 = .min
    /// A create counted in this chunk: the row is written whole.
    var rowCreated = false
    var archivedNow = false

    init(rid: Int64, id: RecordID, stored: Bool, kind: RecordKind?) {
        self.rid = rid
        self.id = id
        self.stored = stored
        self.storedKind = kind
        self.kind = kind
        self.complete = !stored
    }
}

/// A revocation as stored: the earliest by (clock, operation) counts.
struct StoredRevocation {
    var hlc: UInt64
    var by: String
    var keep: [OpID]
}

/// Everything the merge reads: prefetched chunk by chunk, changed by execute in memory. Records
/// stay until `MergeExecute.takeRecordChanges` hands their changes to commit; membership and
/// flows are read again for each chunk.
struct MergeState {
    var records: [RecordID: RecordState] = [:]
    /// The local number the next new record gets; read from SQLite once records are first needed.
    var nextRID: Int64 = 1
    var numbered = false
    /// The first step of each flow the chunk's creates name (nil: its definition is not held).
    var flowStarts: [String: Int?] = [:]
    /// Every enrollment by node, in order: a node's role at an operation comes from them.
    var enrollments: [NodeID: [Enrollment]] = [:]
    var courtRootKey: [UInt8]?
    /// The `members` row of each node the chunk enrolls: (clock, operation) of its enrollment.
    var members: [NodeID: (hlc: UInt64, by: String)] = [:]
    var revocations: [NodeID: StoredRevocation] = [:]
    /// Nodes with origins other than the admin's already folded (enrolling one again refolds).
    var foldedNodes: Set<NodeID> = []
    /// True while the tables are folded again from the log: no alerts, no new revocations.
    var rebuilding = false

    func isAdmin(_ info: OriginInfo) -> Bool { courtRootKey != nil && info.publicKey == courtRootKey }

    /// The role an origin's operation is judged under: that of its node's latest enrollment at
    /// or before the operation's clock (the earliest one if the clock is before all of them).
    /// The admin's origins keep the role of their genesis. A node with no enrollment (only its
    /// own replica holds its operations) keeps what it says.
    func role(of info: OriginInfo, at hlc: HLC) -> Role {
        if isAdmin(info) { return info.role }
        guard let list = enrollments[info.node], let first = list.first else { return info.role }
        return list.last(where: { $0.hlc <= hlc })?.role ?? first.role
    }
}

/// What execute decided for one chunk, for commit to write at once (records' changes stay in the
/// state until `takeRecordChanges`).
struct MergeChanges {
    var conflicts: [ConflictRow] = []
    var steps: [StepRow] = []
    var comments: [CommentRow] = []
    var archives: [ArchiveRow] = []
    var nodes: [NodeRow] = []
    var members: [MemberRow] = []
    var enrollments: [EnrollmentRow] = []
    var revocations: [RevocationRow] = []
    var flows: [FlowRow] = []
    var settings: [SettingRow] = []
    var alerts: [AlertRow] = []
    /// Records whose workflow must be folded again, and flows whose records must.
    var refold: Set<Int64> = []
    var refoldFlows: Set<String> = []
    /// Revocations that now count (not while rebuilding).
    var revoked: [NodeID: Revocation] = [:]
    /// An enrollment arrived for a node whose operations were already folded.
    var needsRebuild = false
    var conflictsFound = 0
}

struct RecordChange {
    var rid: Int64
    var id: RecordID
    /// Insert into `records` (else, if `create` is set, update its kind and create).
    var insert: Bool
    var kind: RecordKind?
    /// The create that now counts (origin's local number, seq), when it changed.
    var create: (originIdx: Int64, seq: UInt64)?
    /// The fields whose writes changed, and the record's `write_sets` row as it was read.
    var writeSets: [(field: Field, writes: [FieldWrite])]
    var storedSets: [UInt8]?
    var storedSetsHLC: Int64
    var row: RowChange?
}

/// A change to a record's row in its kind's table.
enum RowChange {
    /// The row written whole (a create counted); a row of `replacing` is deleted first.
    case create(RowValues, replacing: RecordKind?)
    /// Columns changed (bit i: column i of the kind), `updated_at` raised, archived.
    case update(changed: UInt32, columns: [String?], touched: Int64, archive: Bool)
}

struct RowValues: Equatable {
    var kind: RecordKind
    var sop: String
    var status: String
    var step: Int?
    var createdAt: Int64
    var createdBy: String
    var author: String
    var updatedAt: Int64
    var archived: Bool
    var columns: [String?]
}

struct ConflictRow {
    var record: RecordID
    var field: Field
    var winner: FieldWrite
    var winnerValue: String
    var loser: FieldWrite
    var loserValue: String
}

struct StepRow {
    var record: RecordID
    var op: OpID
    var hlc: HLC
    var step: Int
    var branch: Branch?
    var note: String
    var node: String
    var role: Role
    var author: String
}

struct CommentRow {
    var record: RecordID
    var op: OpID
    var hlc: HLC
    var node: String
    var author: String
    var text: String
}

struct ArchiveRow {
    var rid: Int64
    var originIdx: Int64
    var seq: UInt64
    var hlc: HLC
}

struct NodeRow {
    var origin: OriginID
    var genesis: Genesis
}

struct MemberRow {
    var member: Member
    var by: String
    var hlc: UInt64
}

typealias EnrollmentRow = MemberRow

struct RevocationRow {
    var node: NodeID
    var revocation: StoredRevocation
}

struct FlowRow {
    var revision: FlowRevision
    var op: OpID
    var hlc: HLC
    var author: String
}

struct SettingRow {
    var setting: CourtSetting
    var op: OpID
    var hlc: HLC
    var author: String
}

struct AlertRow {
    var kind: String
    var origin: OriginID?
    var seq: UInt64?
    var detail: String
}
