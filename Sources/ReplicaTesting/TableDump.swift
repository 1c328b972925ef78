import Replica

/// The materialised tables: equal on replicas that hold the same operations.
/// (The same list as the replica's digest covers; a test keeps the two equal.)
public let materialisedTables = [
    "bug_reports", "deletion_requests", "letters", "tasks", "steps", "comments", "conflicts", "nodes", "members", "enrollments", "revocations", "sop_flows", "court_settings",
]

extension Replica {
    /// Every materialised table, each row rendered as one line, in primary-key order.
    public func dumpTables() throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for table in materialisedTables {
            let keys = try rows("SELECT name FROM pragma_table_info('\(table)') WHERE pk > 0 ORDER BY pk").map { $0[0] }
            out[table] = try rows("SELECT * FROM \(table) ORDER BY \(keys.joined(separator: ", "))").map { $0.joined(separator: " | ") }
        }
        return out
    }

    /// The tables that differ between two dumps, with the first differing row of each (for messages).
    public static func differences(_ a: [String: [String]], _ b: [String: [String]]) -> [String] {
        materialisedTables.compactMap { table -> String? in
            let x = a[table] ?? []
            let y = b[table] ?? []
            guard x != y else { return nil }
            let i = (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
            let left = i < x.count ? x[i] : "(none)"
            let right = i < y.count ? y[i] : "(none)"
            return "\(table): \(x.count) vs \(y.count) rows; row \(i): \(left)  ≠  \(right)"
        }
    }
}
