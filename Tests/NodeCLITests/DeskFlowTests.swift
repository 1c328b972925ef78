import Foundation
import ReplicaTesting
import Testing

/// End-to-end: the built `sinkron` binary, real replicas on disk, bundles carried between them.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"))
struct DeskFlowTests {
    /// Carries what `to` lacks from `from`, as on a flash disk.
    static func carry(_ from: CLI, _ to: CLI, via dir: TempDir) throws {
        let vector = dir.sub("to.vector")
        let v = try to.ok("vector").stdout
        try v.write(toFile: vector, atomically: true, encoding: .utf8)
        let bundle = dir.sub("carry-\(UUID().uuidString.prefix(6)).bundle")
        try from.ok("export", bundle, "--since", vector)
        try to.ok("import", bundle)
    }

    static func firstID(_ cli: CLI, kind: String) throws -> String {
        let list = try #require(try cli.json("list", "--kind", kind) as? [[String: Any]])
        return try #require(list.first?["id"] as? String)
    }

    @Test func bugReportTravelsToStafTIAndBackWithTheSameHistory() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (_, desks) = try DaemonTests.court(dir, desks: [("meja-1", "meja-satu"), ("ti-1", "staf-ti")])
        let (meja, ti) = (desks[0], desks[1])

        let filed = try #require(
            try meja.json("bug", "file", "--title", "Simpan error", "--description", "Error 500", "--case", "123/Pdt.G/2026/PN Bls", "--as", "Rina")
                as? [String: Any])
        let summary = try #require(filed["summary"] as? [String: Any])
        let id = try #require(summary["id"] as? String)
        #expect(summary["step"] as? Int == 2)
        #expect(summary["nextRoles"] as? [String] == ["staf-ti"])

        try Self.carry(meja, ti, via: dir)
        let short = String(id.prefix(6))
        try ti.ok("step", short, "--branch", "ya", "--note", "cek log", "--as", "Andi")
        try ti.ok("step", short, "--note", "diperbaiki")
        let stepped = try #require(try ti.json("step", short, "--note", "user diberi tahu") as? [String: Any])
        #expect(stepped["completed"] as? Int == 10)
        #expect(stepped["next"] == nil || stepped["next"] is NSNull)
        try Self.carry(ti, meja, via: dir)

        let shown = try #require(try meja.json("show", short) as? [String: Any])
        #expect((shown["summary"] as? [String: Any])?["status"] as? String == "done")
        let historyMeja = try #require(try meja.json("history", short) as? [[String: Any]])
        let historyTI = try #require(try ti.json("history", short) as? [[String: Any]])
        let story: ([[String: Any]]) -> [String] = { $0.map { "\($0["op"]!) \($0["author"]!) \($0["summary"]!)" } }
        #expect(story(historyMeja) == story(historyTI))
        #expect(historyMeja.count == 5)  // create, step 1, steps 2, 3, 10
        #expect(historyMeja.map { $0["kind"] as? String } == ["create", "step", "step", "step", "step"])
        #expect(historyMeja.last?["via"] as? String != "local")
        #expect(try meja.ok("digest").stdout == (try ti.ok("digest").stdout))
    }

    @Test func errorsNameTheProblemAndExitNonZero() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let meja = CLI(home: dir.sub("meja"))

        let before = try meja.run(["list"])
        #expect(before.status != 0)
        #expect(before.stderr.contains("sinkron init"))

        try meja.ok("init", "--court", "PN Bls", "--name", "m", "--role", "meja-satu")
        let twice = try meja.run(["init", "--court", "PN Bls", "--name", "m", "--role", "meja-satu"])
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("already exists"))

        let badRole = try meja.run(["init", "--court", "X", "--name", "y", "--role", "hakim"])
        #expect(badRole.status == 64)

        let badCase = try meja.run(["deletion", "file", "--case", "123-Pdt-2026", "--reason", "dobel", "--json"])
        #expect(badCase.status == 1)
        #expect(badCase.stderr.contains("123/Pdt.G/2026/PN Bls"))
        let error = try #require((try badCase.json() as? [String: Any])?["error"] as? [String: Any])
        #expect(error["code"] as? String == "invalid-input")

        try meja.ok("deletion", "file", "--case", "4/Pdt.G.S/2026/PN Bls", "--reason", "dobel")
        let id = try Self.firstID(meja, kind: "deletion")
        let wrongRole = try meja.run(["step", String(id.prefix(6)), "--branch", "ya"])
        #expect(wrongRole.status == 1)
        #expect(wrongRole.stderr.contains("staf-ti"))

        let number = try meja.run(["letter", "number", String(id.prefix(6))])
        #expect(number.status == 1)
        #expect(number.stderr.contains("umum-keuangan"))

        let unknown = try meja.run(["show", "ffffffff"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no record"))

        // None of the refused commands wrote anything.
        let ops = try #require(try meja.json("whoami") as? [String: Any])["operations"] as? Int
        #expect(ops == 3 + Sandbox.seed)  // genesis, the court's seeded calendar and book, create, step 1
    }

    @Test func bundlesAreHarmlessTwiceAndRefusedWhenDamagedOrForeign() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (_, desks) = try DaemonTests.court(dir, desks: [("a", "meja-satu"), ("b", "staf-ti")])
        let (a, b) = (desks[0], desks[1])
        let other = CLI(home: dir.sub("other"))
        try other.ok("init", "--court", "PN Dumai", "--name", "o", "--role", "staf-ti")
        try a.ok("bug", "file", "--title", "t", "--description", "d")
        let bundle = dir.sub("a.bundle")
        try a.ok("export", bundle)

        try b.ok("import", bundle)
        let digest = try b.ok("digest").stdout
        let again = try #require(try b.json("import", bundle) as? [String: Any])
        // Everything in it (a's log and the admin's: genesis, SOP book, enrollments) is already here.
        let held = (again["bundle"] as? [String: Any])?["operations"] as? Int
        #expect(held != nil && (again["report"] as? [String: Any])?["duplicates"] as? Int == held)
        #expect(try b.ok("digest").stdout == digest)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        bytes[bytes.count / 2] ^= 0x40
        let damaged = dir.sub("damaged.bundle")
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let refused = try b.run(["import", damaged])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("damaged"))
        #expect(try b.ok("digest").stdout == digest)

        let foreign = try other.run(["import", bundle])
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("PN Bengkalis") && foreign.stderr.contains("PN Dumai"))
    }

    @Test func restoredReplicaWritesUnderANewOriginAndNeverForks() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (kasubbag, desks) = try DaemonTests.court(dir, desks: [("ti", "staf-ti")])
        let ti = desks[0]
        try ti.ok("task", "add", "--sop", "BACKUP", "--assignee", "Andi", "--due", "2026-12-01")
        let backup = dir.sub("ti.backup")
        try ti.ok("backup", backup)
        // Written after the backup, and carried to the Kasubbag before the PC fails.
        try ti.ok("task", "add", "--sop", "SERVER")
        try DeskFlowTests.carry(ti, kasubbag, via: dir)
        let oldOrigin = try #require(try ti.json("whoami") as? [String: Any])["origin"] as? String

        let restored = try #require(try ti.json("restore", backup) as? [String: Any])
        #expect(restored["origin"] as? String != oldOrigin)
        try ti.ok("task", "add", "--sop", "SINKRON")
        try DeskFlowTests.carry(ti, kasubbag, via: dir)
        try DeskFlowTests.carry(kasubbag, ti, via: dir)
        let alerts = try #require(try kasubbag.json("alerts") as? [Any])
        #expect(alerts.isEmpty)
        #expect(try ti.ok("digest").stdout == (try kasubbag.ok("digest").stdout))
        #expect((try ti.json("list", "--kind", "task") as? [Any])?.count == 3)
        try ti.ok("verify")
    }

    @Test func verifyReportsATamperedLog() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let a = CLI(home: dir.sub("a"))
        try a.ok("init", "--court", "PN Bls", "--name", "a", "--role", "meja-satu")
        try a.ok("dev", "fill", "--records", "5", "--sets", "20", "--batch", "25")
        try a.ok("verify")
        // 88 operations: 1…64 packed in a run, the rest rows (OperationLogTests damage runs).
        try Tamper.sql(home: dir.sub("a"), "UPDATE ops SET body = body || x'00' WHERE seq = 70")
        let edited = try a.run(["verify"])
        #expect(edited.status == 1)
        #expect(edited.stdout.contains("PROBLEM"))

        let b = CLI(home: dir.sub("b"))
        try b.ok("init", "--court", "PN Bls", "--name", "b", "--role", "meja-satu")
        try b.ok("dev", "fill", "--records", "5", "--sets", "20", "--batch", "25")
        try Tamper.sql(home: dir.sub("b"), "DELETE FROM ops WHERE seq = 68")
        let removed = try b.run(["verify", "--json"])
        #expect(removed.status == 1)
        let problems = try #require((try removed.json() as? [String: Any])?["problems"] as? [String])
        #expect(problems.contains { $0.contains("missing") })
    }

    /// `list` shows a page (50 unless told) and says how many there are; pages do not overlap
    /// and together are `--all`, in the same order.
    @Test func listPagesThroughManyRecords() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let cli = CLI(home: dir.sub("admin"))
        try cli.ok("init", "--court", "PN Bengkalis", "--name", "kasubbag", "--role", "kasubbag")
        try cli.ok("dev", "fill", "--records", "120", "--sets", "0")
        let table = try cli.ok("list").stdout
        #expect(table.contains("page 1 of 3 (120 records); next: sinkron list --page 2, or --all"), "\(table.suffix(200))")
        let everything = try #require(try cli.json("list", "--all") as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(everything.count == 120)
        var paged: [String] = []
        for page in 1...3 {
            let rows = try #require(try cli.json("list", "--page", "\(page)") as? [[String: Any]])
            #expect(rows.count == (page < 3 ? 50 : 20))
            paged += rows.compactMap { $0["id"] as? String }
        }
        #expect(paged == everything)
        #expect((try cli.json("list", "--page", "2", "--limit", "100") as? [Any])?.count == 20)
        #expect(try cli.ok("list", "--page", "4").stdout.contains("no records on page 4 (120 in all)"))
        for bad in [["--page", "0"], ["--limit", "501"]] {
            let r = try cli.run(["list"] + bad)
            #expect(r.status != 0 && r.stderr.contains(bad[0]), "\(r.stderr)")
        }
    }
}
