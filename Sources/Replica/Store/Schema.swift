/// The SQL schema of a replica. Documented for readers in the README ("Where the state lives").
enum Schema {
    /// The version `statements` make, brought up through every migration (`Migrations`).
    static let version = Migrations.latest()

    /// Page size of a new replica. 16 KiB pages (SQLite's default is 4 KiB) halve the depth of
    /// the larger B-trees and the pages a merge rewrites: about 8 % less time for a 1M-operation
    /// import. Set once when the file is made; replicas made earlier keep their page size.
    static let pageSize = 16_384

    /// Tables whose content is a deterministic function of the set of operations held: equal on
    /// every replica that holds the same operations, and covered by `digest`.
    static let materialisedTables = ["bug_reports", "deletion_requests", "letters", "tasks", "steps", "comments", "conflicts", "nodes", "members", "enrollments", "revocations", "sop_flows", "court_settings"]

    static func kindTable(_ kind: RecordKind) -> String {
        let columns = kind.fields.map { "\($0.name) TEXT" }.joined(separator: ",\n    ")
        return """
            CREATE TABLE \(kind.table) (
                id TEXT PRIMARY KEY,
                sop TEXT NOT NULL,
                status TEXT NOT NULL,
                step INTEGER,
                step_since INTEGER,
                created_at INTEGER NOT NULL,
                created_by TEXT NOT NULL,
                author TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                archived INTEGER NOT NULL DEFAULT 0,
                \(columns)
            ) WITHOUT ROWID;
            CREATE INDEX \(kind.table)_status ON \(kind.table)(status, step_since);
            """
    }

    /// Every write of every field, one row per record (`RecordWriteSets`): per field, its writes
    /// (origin, seq, clock, valid flag and the writes each replaced; see `WriteSetCodec`); and
    /// the latest clock among them all. Heads (writes no valid write names as replaced) are
    /// derived from those.
    static let writeSetsTable = """
        CREATE TABLE write_sets (
            rid INTEGER PRIMARY KEY,
            hlc INTEGER NOT NULL,
            writes BLOB NOT NULL
        );
        """

    static let enrollmentsTable = """
        CREATE TABLE enrollments (
            node TEXT NOT NULL,
            enrolled_by TEXT NOT NULL,
            public_key TEXT NOT NULL,
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            hlc INTEGER NOT NULL,
            PRIMARY KEY (node, enrolled_by)
        ) WITHOUT ROWID;
        """

    /// Operations held back because their origin is not (yet) a member of the court: verified
    /// (chain and signature under the origin's own key) but not applied, not relayed and not in
    /// the digest. They are applied when an enrollment of their node arrives. Local bookkeeping.
    static let heldTables = """
        CREATE TABLE held_origins (
            origin BLOB PRIMARY KEY,
            node BLOB NOT NULL,
            public_key BLOB NOT NULL,
            name TEXT NOT NULL,
            max_seq INTEGER NOT NULL,
            head_hash BLOB NOT NULL,
            reason TEXT NOT NULL,
            first_seen INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE held_ops (
            origin BLOB NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            body BLOB NOT NULL,
            sig BLOB,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        """

    /// Schema 2: the log's packed runs (`OperationLog`).
    static let opRunsTable = """
        CREATE TABLE op_runs (
            origin_idx INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            first_seq INTEGER NOT NULL,
            ops BLOB NOT NULL,
            PRIMARY KEY (origin_idx, last_seq)
        ) WITHOUT ROWID;
        """

    static var statements: String {
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;

        -- One row per origin log known here. idx is a local number, never shown or sent.
        CREATE TABLE origins (
            idx INTEGER PRIMARY KEY,
            origin BLOB NOT NULL UNIQUE,
            node BLOB NOT NULL,
            public_key BLOB NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            court TEXT NOT NULL,
            predecessor BLOB,
            max_seq INTEGER NOT NULL DEFAULT 0,
            head_hash BLOB NOT NULL
        );

        -- The operation log: every operation of every origin, payload as encoded on the wire, the
        -- merge session that brought it (NULL: written here) and local flags. Since schema 2 only
        -- each origin's tail beyond its packed runs (`op_runs`, OperationLog).
        CREATE TABLE ops (
            origin_idx INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            body BLOB NOT NULL,
            sig BLOB,
            session INTEGER,
            flags INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (origin_idx, seq)
        ) WITHOUT ROWID;

        -- Operations a sync appended to the log but has not merged into the tables yet: of origin
        -- origin_idx, every one from from_seq on. Merged when the session ends, or by the next
        -- write (of any process) before it reads anything.
        CREATE TABLE unmerged (
            origin_idx INTEGER PRIMARY KEY,
            from_seq INTEGER NOT NULL
        );

        -- Local numbers for record ids, including records whose create has not arrived yet.
        CREATE TABLE records (
            rid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kind TEXT,
            create_origin INTEGER,
            create_seq INTEGER
        );

        \(writeSetsTable)

        -- Archive operations, by record (for history).
        CREATE TABLE archives (
            rid INTEGER NOT NULL,
            origin_idx INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            PRIMARY KEY (rid, origin_idx, seq)
        ) WITHOUT ROWID;

        \(RecordKind.allCases.map(kindTable).joined(separator: "\n"))

        -- The court's SOP book: every flow revision the admin published (see FlowRevision).
        \(FlowBook.table)

        -- Court data the admin keeps: zone, office hours, closed days, schedules (see CourtSetting).
        \(CourtData.table)

        -- Every workflow step event; status is ok, out-of-order or unauthorized (folded per record).
        CREATE TABLE steps (
            record TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            step INTEGER NOT NULL,
            branch TEXT,
            note TEXT NOT NULL,
            node TEXT NOT NULL,
            role TEXT NOT NULL,
            author TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (record, origin, seq)
        ) WITHOUT ROWID;

        CREATE TABLE comments (
            record TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            node TEXT NOT NULL,
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (record, origin, seq)
        ) WITHOUT ROWID;

        -- Concurrent writes: two writes of one field that replaced the same value.
        CREATE TABLE conflicts (
            record TEXT NOT NULL,
            field TEXT NOT NULL,
            winner TEXT NOT NULL,
            loser TEXT NOT NULL,
            winner_value TEXT NOT NULL,
            loser_value TEXT NOT NULL,
            winner_hlc INTEGER NOT NULL,
            loser_hlc INTEGER NOT NULL,
            PRIMARY KEY (record, field, winner, loser)
        ) WITHOUT ROWID;

        -- The nodes and origins met in the logs (from each origin's genesis operation).
        CREATE TABLE nodes (
            origin TEXT PRIMARY KEY,
            node TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            court TEXT NOT NULL,
            predecessor TEXT,
            public_key TEXT NOT NULL
        ) WITHOUT ROWID;

        -- Court membership, from the admin's enroll operations (the latest enrollment of a node counts).
        CREATE TABLE members (
            node TEXT PRIMARY KEY,
            public_key TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            enrolled_by TEXT NOT NULL,
            enrolled_hlc INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Every enrollment the admin made (a node re-enrolled with a new role or key has several):
        -- an origin counts only if one of them enrolled its node with its genesis key, and a
        -- node's role at an operation is that of its latest enrollment up to the operation's clock.
        \(enrollmentsTable)

        -- Revoked nodes (the earliest revocation counts) and, per origin of theirs, the last
        -- operation still accepted.
        CREATE TABLE revocations (
            node TEXT PRIMARY KEY,
            revoked_by TEXT NOT NULL,
            revoked_hlc INTEGER NOT NULL,
            keep TEXT NOT NULL
        ) WITHOUT ROWID;

        \(heldTables)

        -- Merge sessions: bundle imports here, network sessions in the sync issue.
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            peer TEXT,
            address TEXT,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
            received INTEGER NOT NULL DEFAULT 0,
            sent INTEGER NOT NULL DEFAULT 0,
            conflicts INTEGER NOT NULL DEFAULT 0,
            bytes_in INTEGER NOT NULL DEFAULT 0,
            bytes_out INTEGER NOT NULL DEFAULT 0,
            outcome TEXT,
            detail TEXT
        );

        -- Peers the daemon dials (local, not replicated; see Replica+Peers.swift).
        \(peersTable)

        -- Alerts the admin must see: forks, refused bundles, clocks far ahead.
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            origin TEXT,
            seq INTEGER,
            detail TEXT NOT NULL
        );

        CREATE VIEW vector AS
            SELECT lower(hex(origin)) AS origin, max_seq AS seq FROM origins ORDER BY origin;
        """
    }
}
