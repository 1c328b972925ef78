import ReplicaTesting
import Testing

@testable import Replica

/// The merge writes the log and the write set through `RowBuffer`'s multi-row `INSERT OR FAIL`
/// (OR FAIL keeps SQLite from copying every page the statement touches into a statement
/// journal). OR FAIL leaves the rows before a failing one in place, so these tests pin down
/// what the merge relies on: a failing row throws, and the caller's transaction then keeps nothing.
@Suite struct RowBufferTests {
    private func table(_ sandbox: Sandbox) throws -> Database {
        let db = try Database(path: sandbox.path("rows.db"))
        try db.execute("PRAGMA journal_mode=WAL; CREATE TABLE t (k INTEGER NOT NULL, v TEXT NOT NULL, PRIMARY KEY (k)) WITHOUT ROWID")
        return db
    }

    private func count(_ db: Database) throws -> Int64 {
        try db.prepare("SELECT count(*) FROM t").first { $0.int(0) } ?? -1
    }

    @Test func fullAndPartialBatchesAreAllWritten() throws {
        let sandbox = try Sandbox("rowbuffer")
        let db = try table(sandbox)
        let rows = RowBuffer.rowsPerStatement * 3 + 5
        try db.transaction {
            let buffer = try RowBuffer(db, table: "t", columns: ["k", "v"])
            for k in 0..<rows {
                buffer.put(.int(Int64(k)))
                buffer.put(.text("value \(k)"))
                try buffer.endRow()
            }
            try buffer.flush()
        }
        #expect(try count(db) == Int64(rows))
        #expect(try db.prepare("SELECT v FROM t WHERE k = ?").bind(.int(Int64(rows - 1))).first { $0.text(0) } == "value \(rows - 1)")
    }

    @Test(arguments: [3, RowBuffer.rowsPerStatement - 1])
    func aFailingRowThrowsAndTheTransactionKeepsNothing(failingAt position: Int) throws {
        let sandbox = try Sandbox("rowbuffer")
        let db = try table(sandbox)
        try db.execute("INSERT INTO t VALUES (1000, 'held before')")
        #expect(throws: SQLiteError.self) {
            try db.transaction {
                let buffer = try RowBuffer(db, table: "t", columns: ["k", "v"])
                // One full statement that succeeds, then one whose row `position` collides.
                for k in 0..<RowBuffer.rowsPerStatement {
                    buffer.put(.int(Int64(k)))
                    buffer.put(.text("first"))
                    try buffer.endRow()
                }
                for i in 0..<RowBuffer.rowsPerStatement {
                    buffer.put(.int(i == position ? 1000 : Int64(100 + i)))
                    buffer.put(.text("second"))
                    try buffer.endRow()
                }
            }
        }
        #expect(try count(db) == 1, "the rows before the failing one, and the whole first statement, were rolled back")
        #expect(try db.prepare("SELECT v FROM t WHERE k = 1000").first { $0.text(0) } == "held before")
    }
}
