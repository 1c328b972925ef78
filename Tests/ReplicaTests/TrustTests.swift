import Crypto
import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Only the court's members write into the court: a court is its root key, never its name;
/// rights come from enrollment; invitations are sealed and signed; files are private and never
/// destroyed.
@Suite("Trust at the edges") final class TrustTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    /// The real court (admin, a meja-satu desk and a staf-ti desk) and an outsider who made a
    /// court of the same name on a PC of its own, with a bug report and a staf-ti step on a real record.
    private func courtAndOutsider() throws -> (admin: Replica, meja: Replica, staf: Replica, outsider: Replica, bug: RecordID) {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let bug = try meja.fileBug(title: "Tombol simpan error", description: "error 500")
        try Exchange.meshUntilEqual([admin, meja, staf])
        let outsider = try sandbox.founder("palsu", role: .mejaSatu, court: Sandbox.court)
        // The outsider knows the real record's id (it saw it on a screen) and writes to it.
        try outsider.commit([.set(record: bug, field: .title, value: "diubah orang luar", replaces: []), .step(record: bug, step: 2, branch: .ya, note: "palsu")])
        _ = try outsider.fileBug(title: "laporan palsu", description: "x")
        return (admin, meja, staf, outsider, bug)
    }

    @Test func aSameNameCourtsBundleIsRefusedWholeNamingBothRoots() throws {
        let (admin, meja, _, outsider, _) = try courtAndOutsider()
        try outsider.exportBundle(to: sandbox.path("palsu.bundle"))
        let before = try meja.digest()
        #expect {
            _ = try meja.importBundle(from: self.sandbox.path("palsu.bundle"))
        } throws: { error in
            let e = error as? ReplicaError
            return e?.code == .wrongCourt && e!.message.contains(Replica.fingerprint(outsider.courtRoot!))
                && e!.message.contains(Replica.fingerprint(admin.courtRoot!)) && e!.message.contains(Sandbox.court)
        }
        #expect(try meja.digest() == before)
    }

    /// A bundle relabelled with the real court's root (or one of the old format, without a root)
    /// gets through the header check, but none of the outsider's operations is applied: they are
    /// held, reported, never relayed, and the members still converge.
    @Test func anOutsidersOperationsAreHeldNotAppliedNorRelayed() throws {
        let (admin, meja, staf, outsider, bug) = try courtAndOutsider()
        var runs: [OperationRun] = []
        try outsider.missingRuns(since: meja.vector()) { runs.append($0) }
        let relabelled = Bundle.encode(court: Sandbox.court, root: admin.courtRoot!, exporter: "meja", runs: runs)
        try Data(relabelled).write(to: URL(fileURLWithPath: sandbox.path("relabelled.bundle")))
        let before = try meja.digest()
        let result = try meja.importBundle(from: sandbox.path("relabelled.bundle"))
        #expect(result.report.appliedTotal == 0)
        #expect(result.report.held[outsider.origin.hex]?.operations == Int(try outsider.vector()[outsider.origin]))
        #expect(result.report.heldLines.first?.contains("not enrolled") == true)
        #expect(try meja.digest() == before, "nothing of the outsider is in the tables or the digest")
        #expect(try meja.vector()[outsider.origin] == 0, "nor in the vector, so it is never relayed")
        #expect(try meja.alerts().contains { $0.kind == "not-a-member" })
        #expect(try meja.heldOrigins().map(\.origin) == [outsider.origin.hex])
        // Relayed onwards by the member who imported it: nothing reaches the others.
        try Exchange.meshUntilEqual([admin, meja, staf])
        for r in [admin, meja, staf] {
            #expect(try r.show(bug.hex).summary.title == "Tombol simpan error")
            #expect(try r.show(bug.hex).steps.allSatisfy { $0.note != "palsu" })
            #expect(try !r.list().contains { $0.title == "laporan palsu" })
            #expect(try r.rows("SELECT 1 FROM nodes WHERE name = 'palsu'").isEmpty)
        }
        #expect(Set(try [admin, meja, staf].map { try $0.digest() }).count == 1)
        // Importing it again holds nothing twice.
        let again = try meja.importBundle(from: sandbox.path("relabelled.bundle"))
        #expect(again.report.appliedTotal == 0 && again.report.heldTotal == 0)
    }

    /// A member's operations that arrive before the admin's enrollment of it are held, then
    /// applied when the enrollment arrives: in the same batch or a later one, every replica ends
    /// the same.
    @Test func operationsHeldUntilTheirEnrollmentArrivesAreThenApplied() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let early = try sandbox.member("ketua", role: .ketua, invitedBy: admin)
        let late = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        _ = try late.addTask(sop: "SERVER", title: "dari staf baru")
        let lateRuns = try #require(late.runsByOrigin()[late.origin])
        // meja learns of the new desk's operations before its enrollment: held.
        let first = try meja.apply(lateRuns)
        #expect(first.appliedTotal == 0 && first.heldTotal == lateRuns.reduce(0) { $0 + $1.entries.count })
        // Then the admin's log, which enrolls it: applied.
        let second = try Exchange.runs(from: admin, to: meja)
        #expect(second.admitted == first.heldTotal)
        #expect(try meja.heldOrigins().isEmpty)
        // ketua gets both in one batch, the member's runs first.
        let adminRuns = try admin.runsByOrigin(since: early.vector()).values.flatMap { $0 }
        let both = try early.apply(lateRuns + adminRuns)
        #expect(both.admitted == first.heldTotal && both.heldTotal == 0)
        try Exchange.meshUntilEqual([admin, meja, early, late])
        #expect(Set(try [admin, meja, early, late].map { try $0.digest() }).count == 1)
        #expect(try meja.list().contains { $0.title == "dari staf baru" })
    }

    /// A desk enrolled as meja-satu that says it is staf-ti (role edited in `meta`, then backup
    /// and restore, which starts a new origin whose genesis says staf-ti) still acts as
    /// meja-satu everywhere: its staf-ti steps are unauthorized.
    @Test func rightsComeFromTheEnrollmentNotFromWhatAnOriginSays() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let bug = try meja.fileBug(title: "bug", description: "d")
        try meja.executeRaw("UPDATE meta SET value = 'staf-ti' WHERE key = 'role'")
        try meja.backup(to: sandbox.path("meja.backup"))
        let liar = try Replica.restore(from: sandbox.path("meja.backup"), home: sandbox.home("meja"), physicalClock: ManualClock())
        #expect(liar.identity.role == .stafTI && liar.enrolledRole == .mejaSatu)
        code(.notPermitted) { _ = try liar.completeStep(bug.hex, branch: .ya) }
        // Forced past the desk's own check, the step is written, and judged by the enrollment.
        try liar.commit([.step(record: bug, step: 2, branch: .ya, note: "bukan haknya")])
        try Exchange.meshUntilEqual([admin, liar])
        for r in [admin, liar] {
            // Step 1 is the filing itself; then the step the desk had no right to.
            let steps = try r.show(bug.hex).steps.filter { $0.step > 1 }
            #expect(steps.count == 1 && steps.first?.status == "unauthorized", "\(steps)")
            #expect(steps.first?.role == "meja-satu")
            #expect(try r.show(bug.hex).summary.step == 2)
        }
        #expect(try admin.members().first { $0.name == "meja" }?.role == "meja-satu")
    }

    /// Enrolled again by the admin with another role, a node's later steps count under the new
    /// role, its earlier ones stay judged under the old one, on every replica.
    @Test func aReEnrolledNodeActsUnderItsNewRoleFromThenOn() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let desk = try sandbox.member("desk", role: .mejaSatu, invitedBy: admin)
        let bug = try meja.fileBug(title: "bug", description: "d")
        try Exchange.meshUntilEqual([admin, meja, desk])
        try desk.commit([.step(record: bug, step: 2, branch: .tidak, note: "sebagai meja satu")])
        // The admin has seen that step when it enrolls the desk again: the new role comes after it.
        try Exchange.meshUntilEqual([admin, meja, desk])
        let member = Member(node: desk.identity.node, publicKey: desk.identity.publicKey, name: "desk", role: .stafTI)
        try admin.commit([.enroll(member)])
        try Exchange.meshUntilEqual([admin, meja, desk])
        #expect(desk.enrolledRole == .stafTI)
        _ = try desk.completeStep(bug.hex, branch: .tidak, note: "sebagai staf TI")
        try Exchange.meshUntilEqual([admin, meja, desk])
        for r in [admin, meja, desk] {
            let statuses = try r.show(bug.hex).steps.filter { $0.step > 1 }.map(\.status)
            #expect(statuses == ["unauthorized", "ok"], "\(statuses)")
        }
        #expect(Set(try [admin, meja, desk].map { try $0.digest() }).count == 1)
    }

    // MARK: Invitations

    @Test func everyFlippedByteOfAnInvitationIsRefusedBeforeAnythingIsWritten() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let path = sandbox.path("meja.invite")
        let receipt = try admin.invite(name: "meja", role: .mejaSatu, to: path, strength: .testing)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let home = sandbox.home("flipped")
        for i in bytes.indices {
            var damaged = bytes
            damaged[i] ^= UInt8(1 << (i % 8))
            try Data(damaged).write(to: URL(fileURLWithPath: sandbox.path("flipped.invite")))
            #expect(throws: ReplicaError.self, "byte \(i)") {
                try Replica.initialize(home: home, invitation: self.sandbox.path("flipped.invite"), code: receipt.code, physicalClock: ManualClock())
            }
            #expect(!FileManager.default.fileExists(atPath: home), "byte \(i) left a home behind")
        }
        // A wrong code, another court's invitation: the same, and the good one then works.
        code(.invalidInput, containing: "code") {
            try Replica.initialize(home: home, invitation: path, code: "2345-6789-ABCD", physicalClock: ManualClock())
        }
        code(.invalidInput, containing: "letters and digits") { try Replica.initialize(home: home, invitation: path, code: "0000", physicalClock: ManualClock()) }
        #expect(!FileManager.default.fileExists(atPath: home))
        let desk = try Replica.initialize(home: home, invitation: path, code: receipt.code.lowercased(), physicalClock: ManualClock())
        #expect(desk.identity.name == "meja" && desk.identity.role == .mejaSatu && desk.enrolledRole == .mejaSatu)
        #expect(try desk.verify().ok)
    }

    @Test func theInvitationDoesNotHoldTheDesksKeyInClear() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let path = sandbox.path("meja.invite")
        let receipt = try admin.invite(name: "meja", role: .mejaSatu, to: path, strength: .testing)
        let desk = try Replica.initialize(home: sandbox.home("meja"), invitation: path, code: receipt.code, physicalClock: ManualClock())
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let secret = Array(desk.privateKey.rawRepresentation)
        #expect(!file.indices.dropLast(secret.count).contains { Array(file[$0..<$0 + secret.count]) == secret })
        #expect(mode(path) == 0o600)
    }

    /// One invitation used on two PCs: both desks work (they are the same enrolled node), and
    /// every replica that meets both raises an alert naming both origins.
    @Test func aSecondUseOfOneInvitationRaisesAnAlertNamingBoth() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let path = sandbox.path("meja.invite")
        let receipt = try admin.invite(name: "meja", role: .mejaSatu, to: path, strength: .testing)
        let one = try Replica.initialize(home: sandbox.home("pc1"), invitation: path, code: receipt.code, physicalClock: ManualClock())
        let two = try Replica.initialize(home: sandbox.home("pc2"), invitation: path, code: receipt.code, physicalClock: ManualClock())
        try Exchange.meshUntilEqual([admin, one, two])
        for r in [admin, one, two] {
            let alert = try #require(try r.alerts().first { $0.kind == "invitation-reused" })
            #expect(alert.detail.contains(one.origin.short) && alert.detail.contains(two.origin.short))
        }
    }

    // MARK: Files

    @Test func writingAFileNeverDestroysOne() throws {
        let r = try sandbox.founder("kasubbag", role: .kasubbag)
        let existing = sandbox.path("existing.bundle")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: existing))
        code(.alreadyExists) { try r.exportBundle(to: existing) }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep")
        try r.exportBundle(to: existing, force: true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)).count > 4)
        let link = sandbox.path("link.bundle")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: existing)
        let fifo = sandbox.path("fifo.bundle")
        #expect(mkfifo(fifo, 0o600) == 0)
        let folder = sandbox.path("folder.bundle")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for target in [link, fifo, folder, "/dev/null"] {
            code(.invalidInput, containing: "sinkron writes only regular files") { try r.exportBundle(to: target, force: true) }
            code(.invalidInput) { try r.backup(to: target, force: true) }
        }
        let inHome = (r.home as NSString).appendingPathComponent("x.bundle")
        code(.invalidInput, containing: "home") { try r.exportBundle(to: inHome) }
        code(.invalidInput, containing: "home") { try r.backup(to: Replica.databasePath(home: r.home), force: true) }
        code(.invalidInput, containing: "home") { _ = try r.invite(name: "x", role: .ketua, to: inHome) }
        #expect(try r.verify().ok)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) != Data("keep".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: sandbox.root).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func replicasBackupsAndInvitationsArePrivateWhateverTheUmask() throws {
        let old = umask(0)
        defer { umask(old) }
        let home = sandbox.home("open")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
        chmod(home, 0o777)
        let admin = try Replica.initialize(home: home, court: Sandbox.court, name: "kasubbag", role: .kasubbag, physicalClock: ManualClock())
        _ = try admin.addTask(sop: "SERVER")
        #expect(mode(home) == 0o700)
        let db = Replica.databasePath(home: home)
        for file in [db, db + "-wal", db + "-shm"] where FileManager.default.fileExists(atPath: file) { #expect(mode(file) == 0o600, "\(file)") }
        try admin.backup(to: sandbox.path("a.backup"))
        try admin.exportBundle(to: sandbox.path("a.bundle"))
        _ = try admin.invite(name: "meja", role: .mejaSatu, to: sandbox.path("m.invite"), strength: .testing)
        for file in ["a.backup", "a.bundle", "m.invite"] { #expect(mode(sandbox.path(file)) == 0o600, "\(file)") }
        let restored = try Replica.restore(from: sandbox.path("a.backup"), home: home, physicalClock: ManualClock())
        for file in try FileManager.default.contentsOfDirectory(atPath: home) {
            #expect(mode((home as NSString).appendingPathComponent(file)) == 0o600, "\(file)")
        }
        #expect(try restored.verify().ok)
        // A home others could read, opened again: tightened, and said.
        chmod(home, 0o755)
        let again = try Replica(home: home, physicalClock: ManualClock())
        #expect(mode(home) == 0o700 && again.tightened.count == 1)
    }

    @Test func aBackupOfAnotherNodeOrCourtIsRestoredOnlyWhenForced() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let other = try sandbox.founder("dumai", role: .kasubbag, court: "PN Dumai")
        try admin.backup(to: sandbox.path("admin.backup"))
        try other.backup(to: sandbox.path("other.backup"))
        code(.invalidInput, containing: "another node") {
            _ = try Replica.restore(from: self.sandbox.path("admin.backup"), home: meja.home, physicalClock: ManualClock())
        }
        code(.wrongCourt, containing: "another court") {
            _ = try Replica.restore(from: self.sandbox.path("other.backup"), home: meja.home, physicalClock: ManualClock())
        }
        #expect(try Replica(home: meja.home).identity.name == "meja")
        let forced = try Replica.restore(from: sandbox.path("admin.backup"), home: meja.home, force: true, physicalClock: ManualClock())
        #expect(forced.identity.name == "kasubbag")
    }

    private func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
    }
}

@Suite("verify checks the tables") final class VerifyTablesTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func aValueEditedOutsideSinkronIsFound() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let bug = try meja.fileBug(title: "asli", description: "d")
        try Exchange.meshUntilEqual([admin, meja])
        #expect(try admin.verifyTables().isEmpty)
        let digest = try admin.digest()
        try admin.executeRaw("UPDATE bug_reports SET title = 'diubah di sqlite3' WHERE id = '\(bug.hex)'")
        try admin.executeRaw("DELETE FROM members")
        let problems = try admin.verifyTables()
        #expect(problems.count == 2 && problems[0].contains("bug_reports") && problems[1].contains("members"), "\(problems)")
        #expect(try admin.verify().ok, "the log itself is intact")
        // Checking rolls back: the edited table is as it was left, for the admin to see.
        #expect(try admin.show(bug.hex).summary.title == "diubah di sqlite3")
        #expect(try admin.digest() != digest)
    }
}
