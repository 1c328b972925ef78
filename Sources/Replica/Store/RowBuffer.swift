/// Rows for one INSERT, gathered and written `rowsPerStatement` at a time by a multi-row
/// `VALUES (…), (…), …`: SQLite's statement machinery (bind, step, reset) then runs once per 32
/// rows instead of once per row. Whoever reads rows of the table that may still be gathered must
/// call `flush()` first; the merge does so before it reads the log, when it forgets cached field
/// writes (see `Applier.clearWriteCache`), and at the end of each run.
///
/// `INSERT OR FAIL`, not the default ABORT: a statement that may abort half-way after writing
/// some rows makes SQLite copy every page it touches into a statement journal first, so that it
/// can undo its own rows. For 32 rows spread over a B-tree that is one 16 KiB copy per page,
/// spilled to a temporary file beyond 64 KiB: 1.5 GB of writes for a 100,000-operation import.
/// FAIL stops at the failing row and keeps the rows before it; that is safe here because every
/// caller runs inside `Database.transaction`, which rolls the whole batch back on the error.
///
/// Blobs are copied into a buffer this object owns and bound from there without SQLite copying
/// them again (no allocation per blob). The two statements are this object's own, not the
/// database's shared cache, so no other code can step them while they point into that buffer.
final class RowBuffer {
    static let rowsPerStatement = 32
    private let columns: Int
    private let single: Statement
    private let multi: Statement
    private var values: [SQLValue] = []
    private var blobs: UnsafeMutableRawBufferPointer

    init(_ db: Database, table: String, columns: [String]) throws {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let insert = "INSERT OR FAIL INTO \(table)(\(columns.joined(separator: ", "))) VALUES "
        single = try db.prepare(insert + row)
        multi = try db.prepare(insert + Array(repeating: row, count: Self.rowsPerStatement).joined(separator: ","))
        self.columns = columns.count
        values.reserveCapacity(columns.count * Self.rowsPerStatement)
        blobs = .allocate(byteCount: 16_384, alignment: 8)
    }

    deinit { blobs.deallocate() }

    /// Adds the next value of the row being gathered (in the column order given at init).
    func put(_ value: SQLValue) { values.append(value) }

    /// Ends the row: `put` was called once per column since the last `endRow`.
    func endRow() throws {
        if values.count == columns * Self.rowsPerStatement { try flush() }
    }

    /// Writes every gathered row.
    func flush() throws {
        guard !values.isEmpty else { return }
        defer { values.removeAll(keepingCapacity: true) }
        if values.count == columns * Self.rowsPerStatement {
            try run(multi, from: 0, rows: Self.rowsPerStatement)
        } else {
            for start in stride(from: 0, to: values.count, by: columns) { try run(single, from: start, rows: 1) }
        }
    }

    private func run(_ statement: Statement, from start: Int, rows: Int) throws {
        let range = start..<(start + rows * columns)
        var needed = 0
        for i in range { if case .blob(let bytes) = values[i] { needed += bytes.count } }
        if needed > blobs.count {
            // Nothing points into the old buffer once every parameter is bound again below.
            blobs.deallocate()
            blobs = .allocate(byteCount: max(needed, blobs.count * 2), alignment: 8)
        }
        statement.resetKeepingBindings()
        var offset = 0
        for i in range {
            let index = Int32(i - start + 1)
            guard case .blob(let bytes) = values[i] else {
                statement.bind(values[i], at: index)
                continue
            }
            let slot = UnsafeMutableRawBufferPointer(rebasing: blobs[offset..<(offset + bytes.count)])
            slot.copyBytes(from: bytes)
            statement.bind(uncopiedBlob: UnsafeRawBufferPointer(slot), at: index)
            offset += bytes.count
        }
        try statement.run()
    }
}
