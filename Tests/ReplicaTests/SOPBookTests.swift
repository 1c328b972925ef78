import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// The court's SOP book as replicated data: the admin adopts, revises and retires flows; records
/// pin the version they were made under; the fold reads that version from the replica.
@Suite("SOP book") final class SOPBookTests {
    let sandbox: Sandbox
    init() throws { sandbox = try Sandbox() }
    deinit { sandbox.remove() }

    /// BACKUP with a fifth step the shipped template does not have.
    static func revisedBackup(number: String = "12/KPN.W4-U2/SOP.PTIP/OT1.2/I/2025") throws -> String {
        let template = try #require(SOP.named("BACKUP"))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(template.definition().utf8)) as? [String: Any])
        var steps = try #require(object["steps"] as? [[String: Any]])
        steps[3]["next"] = 5
        steps.append(["n": 5, "activity": "Menyalin file backup ke harddisk eksternal", "gloss": "Copy the backup to an external disk", "actors": ["staf-ti", "kasubbag"], "mode": "in-turn", "time": "10 menit", "output": "Salinan backup", "next": NSNull()])
        object["steps"] = steps
        var source = try #require(object["source"] as? [String: Any])
        source["number"] = number
        object["source"] = source
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Walks a BACKUP task to its end, every step by the roles it names, on `desks`.
    func walk(_ id: RecordID, on desks: [Role: Replica]) throws -> [Int] {
        var holder = desks[.stafTI]!
        var done: [Int] = []
        while let step = try holder.show(id.hex).summary.step {
            let roles = try holder.show(id.hex).summary.nextRoles.compactMap(Role.init(rawValue:))
            let desk = desks[roles[0]]!
            if desk !== holder { try Exchange.runs(from: holder, to: desk) }
            try desk.completeStep(id.hex, expectedStep: step)
            done.append(step)
            holder = desk
        }
        return done
    }

    @Test func recordsPinTheVersionTheyWereMadeUnder() throws {
        let admin = try sandbox.founder("kasub", role: .kasubbag)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let desks: [Role: Replica] = [.kasubbag: admin, .stafTI: staf]
        code(.notPermitted) { _ = try staf.adoptFlows(["BACKUP"]) }
        // A new court's book holds every shipped flow with a table, as version 1.
        #expect(try staf.book().map(\.code) == SOP.catalog.filter { !$0.tableMissing }.map(\.code).sorted())
        #expect(try staf.book().allSatisfy { $0.version == 1 && $0.action == "adopted" })
        #expect(try admin.adoptFlows(["BACKUP"]).isEmpty, "adopting again changes nothing")
        // A record made before the court's book existed (by an older release) names its flow
        // unpinned: it follows the book's earliest version of the code.
        let before = RecordID.random()
        try staf.commit([.create(record: before, kind: .task, sop: "BACKUP", fields: [FieldValue(.title, "lama")])])
        #expect(try staf.show(before.hex).summary.sop == "BACKUP" && staf.show(before.hex).summary.step == 1)
        try Exchange.runs(from: admin, to: staf)
        let v1 = try staf.addTask(sop: "BACKUP")
        try staf.completeStep(v1.hex)
        // The admin revises BACKUP mid-flow: the open record keeps version 1.
        let revised = try admin.reviseFlow("BACKUP", definition: Self.revisedBackup())
        #expect(revised.version == 2 && revised.action == "revised" && revised.number == "12/KPN.W4-U2/SOP.PTIP/OT1.2/I/2025")
        try Exchange.runs(from: admin, to: staf)
        let v2 = try staf.addTask(sop: "BACKUP")
        #expect(try staf.show(v1.hex).summary.sop == "BACKUP@1" && staf.show(v2.hex).summary.sop == "BACKUP@2")
        #expect(try walk(v1, on: desks) == [2, 3, 4])
        #expect(try walk(v2, on: desks) == [1, 2, 3, 4, 5, 5], "version 2's step 5 needs both roles, in turn")
        #expect(try walk(before, on: desks) == [1, 2, 3, 4])
        // Retired: no new record starts it; history shows every revision.
        try admin.retireFlow("BACKUP")
        try Exchange.runs(from: admin, to: staf)
        code(.invalidInput, containing: "retired") { _ = try staf.addTask(sop: "BACKUP") }
        #expect(try staf.flowHistory("backup").map(\.action) == ["adopted", "revised", "retired"])
        #expect(try staf.book().first { $0.code == "BACKUP" }?.action == "retired")
        try Exchange.meshUntilEqual([admin, staf])
        #expect(try admin.digest() == staf.digest())
    }

    @Test func aRevisionMustBeAValidFlowOfItsCode() throws {
        let admin = try sandbox.founder("kasub", role: .kasubbag)
        code(.invalidInput, containing: "not BUG") { _ = try admin.reviseFlow("BUG", definition: Self.revisedBackup()) }
        let broken = try Self.revisedBackup().replacingOccurrences(of: "\"10 menit\"", with: "\"sebentar\"")
        code(.invalidInput, containing: "time standard") { _ = try admin.reviseFlow("BACKUP", definition: broken) }
        code(.invalidInput, containing: "not in the court's book") { _ = try admin.retireFlow("REVISI-POK") }
        #expect(try admin.book().allSatisfy { $0.version == 1 })
        // A court can give a flow listed without a table one of its own.
        var pok = try #require(try JSONSerialization.jsonObject(with: Data(Self.revisedBackup().utf8)) as? [String: Any])
        pok["code"] = "REVISI-POK"
        let text = String(decoding: try JSONSerialization.data(withJSONObject: pok), as: UTF8.self)
        #expect(try admin.reviseFlow("REVISI-POK", definition: text).version == 1)
        #expect(try admin.addTask(sop: "REVISI-POK").hex.count == 32)
    }

    @Test func flowsFromAnyoneButTheAdminAreRefusedEverywhere() throws {
        let admin = try sandbox.founder("kasub", role: .kasubbag)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        try Exchange.runs(from: admin, to: staf)
        // A member writes a flow revision straight into its log.
        try staf.commit([.flow(FlowRevision(code: "BACKUP", version: 2, definition: try Self.revisedBackup()))])
        #expect(try staf.flowHistory("BACKUP").map(\.version) == [1])
        try Exchange.runs(from: staf, to: admin)
        #expect(try admin.flowHistory("BACKUP").map(\.version) == [1])
        #expect(try admin.alerts().contains { $0.kind == "refused-flow" })
        #expect(try admin.addTask(sop: "BACKUP").hex.count == 32)
    }

    /// Two versions of a flow in one court, records pinned to each, a revision published mid-flow,
    /// exchanged along different paths and orders: equal digests, and a pinned record follows the
    /// replica's definition (a step the shipped template lacks), not the binary's.
    @Test(arguments: [0, 1, 2])
    func twoVersionsConvergeWhateverThePath(seed: Int) throws {
        let clock = ManualClock()
        let admin = try sandbox.founder("kasub-\(seed)", role: .kasubbag, clock: clock)
        let a = try sandbox.member("staf-a-\(seed)", role: .stafTI, invitedBy: admin, clock: clock)
        let b = try sandbox.member("staf-b-\(seed)", role: .stafTI, invitedBy: admin, clock: clock)
        let c = try sandbox.member("umum-\(seed)", role: .umumKeuangan, invitedBy: admin, clock: clock)
        try admin.adoptFlows(["BACKUP"])
        try Exchange.runs(from: admin, to: a)
        let old = try a.addTask(sop: "BACKUP")
        try a.completeStep(old.hex)
        clock.advance(by: 60_000)
        try admin.reviseFlow("BACKUP", definition: Self.revisedBackup())
        try Exchange.runs(from: admin, to: b)
        let new = try b.addTask(sop: "BACKUP")
        for _ in 0..<4 { try b.completeStep(new.hex) }
        clock.advance(by: 60_000)
        try a.completeStep(old.hex)
        // Different paths: b → c → a, a → c, c → admin; or the reverse.
        let order: [(Replica, Replica)] = seed == 0 ? [(b, c), (c, a), (a, c), (c, admin)] : seed == 1 ? [(a, c), (b, c), (c, admin), (admin, a)] : [(b, admin), (a, admin), (admin, c)]
        for (from, to) in order { try Exchange.runs(from: from, to: to) }
        try Exchange.meshUntilEqual([admin, a, b, c])
        let digests = Set(try [admin, a, b, c].map { try $0.digest() })
        #expect(digests.count == 1)
        for r in [admin, a, b, c] {
            let n = try r.show(new.hex).summary
            #expect(n.sop == "BACKUP@2" && n.step == 5 && n.nextRoles == ["staf-ti"], "the replica's version 2 has a step 5 the template lacks")
            #expect(try r.show(old.hex).summary.step == 3)
        }
    }
}
