import Foundation
import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// The desk commands: who may do what, and what they refuse.
@Suite("Desk commands") final class DeskTests {
    let sandbox: Sandbox
    let march = ManualClock.date(ManualClock.start)

    init() throws { sandbox = try Sandbox() }

    @Test func initTwiceFailsAndOpeningAnEmptyHomeSaysNotInitialized() throws {
        try sandbox.replica("a", role: .mejaSatu)
        code(.alreadyInitialized) { try Replica.initialize(home: self.sandbox.home("a"), court: "PN Bengkalis", name: "again", role: .ketua) }
        #expect(try Replica(home: sandbox.home("a")).identity.name == "a", "the first replica is untouched")
        code(.notInitialized) { _ = try Replica(home: self.sandbox.home("nobody")) }
        try FileManager.default.createDirectory(atPath: sandbox.home("empty"), withIntermediateDirectories: true)
        code(.notInitialized) { _ = try Replica(home: self.sandbox.home("empty")) }
        code(.invalidInput) { try Replica.initialize(home: self.sandbox.home("b"), court: "  ", name: "b", role: .ketua) }
        code(.invalidInput) { try Replica.initialize(home: self.sandbox.home("c"), court: "PN Bls", name: "", role: .ketua) }
        #expect(!FileManager.default.fileExists(atPath: Replica.databasePath(home: sandbox.home("b"))))
    }

    @Test func aNewNodeStartsOneSignedOrigin() throws {
        let r = try sandbox.founder("meja", role: .mejaSatu)
        #expect(r.identity.role == .mejaSatu && r.identity.court == Sandbox.court)
        #expect(try r.vector() == VersionVector([r.origin: UInt64(1 + Sandbox.seed)]), "its genesis, then the court's seeded calendar and book")
        #expect(try r.verify().ok)
        #expect(try r.dumpTables()["nodes"]?.count == 1)
    }

    @Test func filingChecksTheRoleOfTheFirstStep() throws {
        let staf = try sandbox.replica("staf", role: .stafTI)
        code(.notPermitted, containing: "meja-satu") { _ = try staf.fileBug(title: "t", description: "d") }
        code(.notPermitted, containing: "meja-satu") { _ = try staf.fileDeletion(caseNumber: "1/Pdt.G/2026/PN Bls", reason: "r") }
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let id = try meja.fileBug(title: "t", description: "d", caseNumber: "123/Pdt.G/2026/PN Bls")
        let detail = try meja.show(id.hex)
        #expect(detail.summary.step == 2 && detail.summary.nextRoles == ["staf-ti"])
        #expect(detail.steps.map(\.status) == ["ok"])
        code(.invalidInput) { _ = try meja.fileBug(title: "t", description: "d", caseNumber: "123/Xyz/2026/PN Bls") }
    }

    @Test func stepsAreRefusedForTheWrongRoleNamingTheRightOne() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let ketua = try sandbox.replica("ketua", role: .ketua)
        let staf = try sandbox.replica("staf", role: .stafTI)
        let id = try meja.fileBug(title: "t", description: "d")
        try Exchange.runs(from: meja, to: ketua)
        try Exchange.runs(from: meja, to: staf)
        for wrong in [meja, ketua] {
            code(.notPermitted, containing: "staf-ti") { try wrong.completeStep(id.hex, branch: .ya) }
        }
        code(.invalidInput, containing: "step 2 asks") { try staf.completeStep(id.hex) }
        code(.invalidInput) { try staf.completeStep(id.hex, branch: .ya, expectedStep: 3) }
        let outcome = try staf.completeStep(id.hex, branch: .ya, note: "bisa diperbaiki", expectedStep: 2)
        #expect(outcome.completed == 2 && outcome.next == 3 && outcome.nextRoles == ["staf-ti"])
        code(.invalidInput, containing: "no decision") { try staf.completeStep(id.hex, branch: .ya) }
        try staf.completeStep(id.hex)
        try staf.completeStep(id.hex)
        code(.flowFinished) { try staf.completeStep(id.hex) }
        #expect(try staf.show(id.hex).summary.status == "done")
    }

    @Test func onlyUmumKeuanganNumbersLettersAndNumbersAreSequential() throws {
        let staf = try sandbox.replica("staf", role: .stafTI)
        let umum = try sandbox.replica("umum", role: .umumKeuangan)
        let letters = try (0..<3).map { try staf.draftLetter(subject: "Surat \($0)", recipient: "SATGAS SIPP", classification: "HK2.6") }
        let incoming = try staf.receiveLetter(subject: "Undangan", sender: "PT Pekanbaru")
        try Exchange.runs(from: staf, to: umum)
        code(.notPermitted, containing: "umum-keuangan") { try staf.numberLetter(letters[0].hex, now: self.march) }
        code(.invalidInput, containing: "court code") { try umum.numberLetter(letters[0].hex, now: self.march) }
        code(.invalidInput) { try umum.setCourtCode("w4 u2") }
        try umum.setCourtCode("W4-U2")
        #expect(umum.courtCode == "W4-U2")
        #expect(try umum.numberLetter(letters[0].hex, now: march) == "1/KPN.W4-U2/HK2.6/III/2026")
        #expect(try umum.numberLetter(letters[1].hex, now: march) == "2/KPN.W4-U2/HK2.6/III/2026")
        code(.invalidInput, containing: "already has number") { try umum.numberLetter(letters[1].hex, now: self.march) }
        code(.invalidInput, containing: "already given") { try umum.numberLetter(letters[2].hex, number: "2/KPN.W4-U2/HK2.6/III/2026") }
        code(.invalidInput, containing: "incoming") { try umum.numberLetter(incoming.hex, now: self.march) }
        code(.invalidInput) { try umum.numberLetter(letters[2].hex, number: "dua") }
        #expect(try umum.numberLetter(letters[2].hex, number: "41/KPN.W4-U2/HK2.6/III/2026") == "41/KPN.W4-U2/HK2.6/III/2026")
        let next = try umum.draftLetter(subject: "Surat 4", recipient: "MA")
        code(.invalidInput, containing: "classification") { try umum.numberLetter(next.hex, now: self.march) }
        #expect(try umum.numberLetter(next.hex, classification: "KP1.2", now: march) == "42/KPN.W4-U2/KP1.2/III/2026")
        // A new year starts the agenda again.
        let january = ManualClock.date(ManualClock.start + 320 * 86_400_000)
        let later = try umum.draftLetter(subject: "Surat 2027", recipient: "MA", classification: "HK2.6")
        #expect(try umum.numberLetter(later.hex, now: january) == "1/KPN.W4-U2/HK2.6/I/2027")
        #expect(try umum.numberCollisions().isEmpty)
    }

    @Test func twoNumberingNodesThatCollideAreShownNotHidden() throws {
        let one = try sandbox.replica("umum1", role: .umumKeuangan)
        let two = try sandbox.replica("umum2", role: .umumKeuangan)
        for r in [one, two] { try r.setCourtCode("W4-U2") }
        let a = try one.draftLetter(subject: "A", recipient: "MA", classification: "HK2.6")
        let b = try two.draftLetter(subject: "B", recipient: "MA", classification: "HK2.6")
        try one.numberLetter(a.hex, now: march)
        try two.numberLetter(b.hex, now: march)
        try Exchange.meshUntilEqual([one, two])
        for r in [one, two] {
            let collisions = try r.numberCollisions()
            #expect(collisions.count == 1)
            #expect(collisions.first?.number == "1/KPN.W4-U2/HK2.6/III/2026")
            #expect(Set(collisions.first?.letters ?? []) == [a.hex, b.hex])
        }
    }

    @Test func prefixesResolveOnlyToExactlyOneRecord() throws {
        let r = try sandbox.replica("r", role: .stafTI)
        let first = ID128(high: 0xABCD_0000_0000_0001, low: 1)
        let second = ID128(high: 0xABCD_1000_0000_0001, low: 2)
        try r.commit([
            .create(record: first, kind: .task, sop: "BACKUP", fields: [FieldValue(.title, "satu")]),
            .create(record: second, kind: .task, sop: "BACKUP", fields: [FieldValue(.title, "dua")]),
        ])
        code(.ambiguous) { _ = try r.resolve("abcd") }
        #expect(try r.resolve("abcd0").id == first)
        #expect(try r.resolve("ABCD1").id == second, "prefixes are case-insensitive")
        #expect(try r.resolve(first.hex).kind == .task)
        code(.invalidInput) { _ = try r.resolve("abc") }
        code(.invalidInput) { _ = try r.resolve("abcz") }
        code(.invalidInput) { _ = try r.resolve(first.hex + "0") }
        code(.notFound) { _ = try r.resolve("abce") }
        // A record known only from a write that arrived before its create is not resolvable yet.
        try r.commit([.comment(record: ID128(high: 0xEEEE_0000_0000_0000, low: 0), text: "x")])
        code(.notFound) { _ = try r.resolve("eeee") }
    }

    @Test func fieldEditsAreValidatedAndANoOpWritesNothing() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let id = try meja.fileBug(title: "judul", description: "d")
        let letter = try meja.draftLetter(subject: "s", recipient: "r")
        code(.invalidInput, containing: "no field") { _ = try meja.setField(id.hex, field: "subject", value: "x") }
        code(.invalidInput) { _ = try meja.setField(id.hex, field: "case-number", value: "abc") }
        code(.invalidInput) { _ = try meja.setField(letter.hex, field: "direction", value: "masuk") }
        code(.invalidInput) { _ = try meja.setField(letter.hex, field: "letter_date", value: "kemarin") }
        let before = try meja.vector()
        #expect(try meja.setField(id.hex, field: "title", value: "  judul ") == false)
        #expect(try meja.vector() == before)
        #expect(try meja.setField(id.hex, field: "case-number", value: "123/Pdt.G/2026/PN Bls"))
        #expect(try meja.show(id.hex).fields["case_number"] == "123/Pdt.G/2026/PN Bls")
    }

    @Test func lettersLinkToTheirRecordAndArchivesEndFlows() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let bug = try meja.fileBug(title: "t", description: "d")
        let task = try meja.addTask(sop: "backup", title: "Backup harian")
        let letter = try meja.draftLetter(subject: "Pemberitahuan", recipient: "SATGAS SIPP", forRecord: String(bug.hex.prefix(8)))
        #expect(try meja.show(bug.hex).letters == [letter.hex])
        #expect(try meja.show(letter.hex).fields["for_record"] == bug.hex)
        code(.invalidInput) { _ = try meja.draftLetter(subject: "x", recipient: "y", forRecord: task.hex) }
        code(.invalidInput, containing: "bug") { _ = try meja.addTask(sop: "BUG") }
        code(.notFound) { _ = try meja.addTask(sop: "TIDAK-ADA") }
        try meja.archive(task.hex)
        code(.invalidInput) { try meja.archive(task.hex) }
        code(.flowFinished) { try meja.completeStep(task.hex) }
        #expect(try meja.show(task.hex).summary.status == "archived")
        #expect(try !meja.list(openOnly: true).contains { $0.id == task.hex })
    }

    @Test func overdueStepsFollowTheSOPTimeStandardAndTaskDueTimes() throws {
        let clock = ManualClock()
        let meja = try sandbox.replica("meja", role: .mejaSatu, clock: clock)
        let staf = try sandbox.replica("staf", role: .stafTI, clock: clock)
        let minute: UInt64 = 60_000
        let bug = try meja.fileBug(title: "t", description: "d")
        let task = try staf.addTask(sop: "BACKUP", due: "2026-02-27")
        try Exchange.runs(from: meja, to: staf)
        let at = { (minutes: UInt64) in ManualClock.date(ManualClock.start + minutes * minute) }
        // Step 2 of BUG has a time standard of 15 minutes from filing.
        #expect(try !staf.list(overdueOnly: true, now: at(10)).contains { $0.id == bug.hex })
        let late = try #require(staf.list(overdueOnly: true, now: at(20)).first { $0.id == bug.hex })
        #expect(late.overdueMinutes == 5 && late.stepMinutes == 15 && late.nextRoles == ["staf-ti"])
        // The task was due at the end of 27 February (local time, in any time zone before 2 March).
        let dueTask = try #require(staf.list(kind: .task, overdueOnly: true, now: at(0)).first)
        #expect(dueTask.id == task.hex && dueTask.overdue)
        clock.advance(by: 20 * minute)
        try staf.completeStep(bug.hex, branch: .ya)
        let fixing = try staf.show(bug.hex, now: at(30)).summary
        #expect(fixing.step == 3 && !fixing.overdue, "the next step's clock starts when the previous one is done")
        #expect(try staf.show(bug.hex, now: at(36)).summary.overdueMinutes == 1)
        try staf.archive(task.hex)
        #expect(try !staf.list(overdueOnly: true, now: at(10_000)).contains { $0.id == task.hex }, "archived records are never overdue")
    }

    /// Every refused command leaves the replica exactly as it was.
    @Test func failedCommandsChangeNothing() throws {
        let meja = try sandbox.replica("meja", role: .mejaSatu)
        let bug = try meja.fileBug(title: "t", description: "d")
        let letter = try meja.draftLetter(subject: "s", recipient: "r")
        let digest = try meja.digest()
        let operations = try meja.counts().operations
        let failing: [(String, () throws -> Void)] = [
            ("empty title", { _ = try meja.fileBug(title: " ", description: "d") }),
            ("bad case number", { _ = try meja.fileDeletion(caseNumber: "abc", reason: "r") }),
            ("wrong role", { try meja.completeStep(bug.hex, branch: .ya) }),
            ("unknown field", { _ = try meja.setField(bug.hex, field: "nope", value: "x") }),
            ("bad value", { _ = try meja.setField(bug.hex, field: "case_number", value: "123/Pdt.G/26/PN Bls") }),
            ("not umum-keuangan", { try meja.numberLetter(letter.hex, number: "1/KPN.W4-U2/HK2.6/XI/2026") }),
            ("unknown record", { try meja.archive("ffff") }),
            ("empty comment", { try meja.comment(bug.hex, text: "   ") }),
            ("task of a bug flow", { _ = try meja.addTask(sop: "BUG") }),
            ("unknown for-record", { _ = try meja.draftLetter(subject: "s", recipient: "r", forRecord: "0000") }),
            ("author too long", { _ = try meja.fileBug(title: "t", description: "d", author: String(repeating: "a", count: 300)) }),
            ("step out of range", { try meja.commit([.step(record: bug, step: 5_000, branch: nil, note: "")]) }),
            ("too many replaced writes", {
                try meja.commit([.set(record: bug, field: .title, value: "x", replaces: (1...65).map { OpID(origin: meja.origin, seq: $0) })])
            }),
        ]
        for (label, command) in failing {
            #expect(throws: ReplicaError.self, "\(label)") { try command() }
            #expect(try meja.digest() == digest, "\(label) changed the tables")
            #expect(try meja.counts().operations == operations, "\(label) wrote an operation")
        }
        #expect(try meja.verify().ok)
    }
}
