import Foundation
import Replica
import ReplicaTesting
import Testing

/// Every shipped SOP can be walked from its start to an end along every branch, by the roles the
/// SOP allows at each step: through the pure fold, and through real replicas (one node per role)
/// that hand the record on by bundle.
@Suite("SOP catalog walks") struct CatalogWalkTests {
    struct Move: Equatable, CustomStringConvertible {
        var step: Int
        var branch: Branch?
        var description: String { "\(step)" + (branch.map { "→\($0.rawValue)" } ?? "") }
    }

    /// The roles that complete `step` on path `p` at move `i`: one of them, or each of them when the
    /// step needs several (in the listed order for in-turn, reversed for all: any order counts).
    static func actors(_ step: SOPStep, _ p: Int, _ i: Int) -> [Role] {
        switch step.mode {
        case .any: [step.actors[(p + i) % step.actors.count]]
        case .inTurn: step.actors
        case .all: step.actors.reversed()
        }
    }

    /// Every path from the start to an end (a step may repeat once, so loops are walked once).
    static func paths(_ sop: SOP) -> [[Move]] {
        var out: [[Move]] = []
        func walk(_ number: Int, _ path: [Move]) {
            guard let step = sop.step(number), path.filter({ $0.step == number }).count < 2 else { return }
            if let decision = step.decision {
                for (branch, target) in [(Branch.ya, decision.ya), (.tidak, decision.tidak)] {
                    let next = path + [Move(step: number, branch: branch)]
                    if let target { walk(target, next) } else { out.append(next) }
                }
            } else if let target = step.next {
                walk(target, path + [Move(step: number, branch: nil)])
            } else {
                out.append(path + [Move(step: number, branch: nil)])
            }
        }
        walk(sop.start, [])
        return out
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func everyPathFoldsToTheEnd(code: String) throws {
        let sop = try #require(SOP.named(code))
        let paths = Self.paths(sop)
        #expect(!paths.isEmpty, "\(code) has no path to an end")
        let visited = Set(paths.joined().map(\.step))
        for step in sop.steps where visited.contains(step.number) {
            if step.decision != nil {
                let answers = Set(paths.joined().filter { $0.step == step.number }.compactMap(\.branch))
                #expect(answers == [.ya, .tidak], "\(code) step \(step.number): both answers are walked")
            }
        }
        let origin = ID128(high: 1, low: 1)
        for (p, path) in paths.enumerated() {
            var events: [StepEvent] = []
            for (i, move) in path.enumerated() {
                let step = try #require(sop.step(move.step))
                let hlc = HLC(milliseconds: ManualClock.start + UInt64(i + 1) * 60_000, counter: 1)
                // Someone the SOP does not allow tries first; it is marked and changes nothing.
                if let intruder = Role.allCases.first(where: { !step.actors.contains($0) }) {
                    events.append(StepEvent(op: OpID(origin: origin, seq: UInt64(events.count + 1)), hlc: HLC(raw: hlc.raw - 1), step: move.step, branch: move.branch, role: intruder))
                }
                let actors = Self.actors(step, p, i)
                for (k, actor) in actors.enumerated() {
                    let at = HLC(milliseconds: hlc.milliseconds + UInt64(k), counter: 1)
                    events.append(StepEvent(op: OpID(origin: origin, seq: UInt64(events.count + 1)), hlc: at, step: move.step, branch: move.branch, role: actor))
                    if k > 0 {
                        // The same role again is a duplicate, and changes nothing.
                        events.append(StepEvent(op: OpID(origin: origin, seq: UInt64(events.count + 1)), hlc: HLC(raw: at.raw + 1), step: move.step, branch: move.branch, role: actors[0]))
                    }
                    let state = WorkflowFold.fold(sop: sop, created: HLC(milliseconds: ManualClock.start, counter: 0), events: events)
                    let expected = k == actors.count - 1 ? WorkflowFold.next(after: step, branch: move.branch) : move.step
                    #expect(state.current == expected, "\(code) path \(path) at \(move) by \(actor)")
                }
            }
            let state = WorkflowFold.fold(sop: sop, created: HLC(milliseconds: ManualClock.start, counter: 0), events: events)
            #expect(state.current == nil, "\(code) path \(path) does not end")
            let counted = state.statuses.values.filter { $0 == .ok }.count
            let signatures = path.enumerated().map { i, move in Self.actors(sop.step(move.step)!, p, i).count }.reduce(0, +)
            #expect(counted == signatures, "\(code) path \(path)")
            #expect(state.statuses.values.allSatisfy { $0 == .ok || $0 == .unauthorized || $0 == .outOfOrder })
        }
    }

    /// The desk call that makes a record of this SOP, on a node of the start step's role.
    private static func create(_ sop: SOP, on node: Replica) throws -> RecordID {
        switch sop.kind {
        case .bug:
            return try node.fileBug(title: "Tombol simpan SIPP tidak berfungsi", description: "muncul error 500", caseNumber: "123/Pdt.G/2026/PN Bls")
        case .deletion:
            return try node.fileDeletion(caseNumber: "4/Pdt.G.S/2026/PN Bls", reason: "pihak salah diinput")
        case .letter where sop.code == "SURAT-KELUAR":
            return try node.draftLetter(subject: "Pemberitahuan bug SIPP", recipient: "SATGAS SIPP", classification: "HK2.6")
        case .letter:
            return try node.receiveLetter(subject: "Undangan rapat", sender: "PT Pekanbaru", reference: "W4-U/123/2026")
        case .task:
            return try node.addTask(sop: sop.code, assignee: "Andi", due: "2026-03-31")
        }
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func everyPathCanBeWalkedByRealNodes(code: String) throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let sop = try #require(SOP.named(code))
        let clock = ManualClock()
        var nodes: [Role: Replica] = [:]
        for role in Role.allCases { nodes[role] = try sandbox.replica(role.rawValue, role: role, clock: clock) }
        try nodes[.umumKeuangan]!.setCourtCode("W4-U2")
        let everyone = Role.allCases.map { nodes[$0]! }
        try Exchange.introduce(everyone)
        var bundles = 0
        func hand(_ from: Replica, _ to: Replica) throws {
            guard from !== to else { return }
            bundles += 1
            try Exchange.bundle(from: from, to: to, via: sandbox.path("flashdisk-\(bundles).sinkron"))
        }
        /// Walks `moves` of `record` (following `sop`) from `holder`; returns who holds it last.
        func walk(_ record: RecordID, _ sop: SOP, _ path: [Move], _ p: Int, skipFirst: Bool, from start: Replica) throws -> Replica {
            var holder = start
            var covered = false
            for (i, move) in path.enumerated() where !(skipFirst && i == 0) {
                if let span = sop.letter, span.covers(move.step) {
                    // The letter does these steps: drafting it is the first, then it walks its own flow.
                    guard move.step == span.from else { continue }
                    covered = true
                    let staf = nodes[sop.step(move.step)!.actors[0]]!
                    try hand(holder, staf)
                    let drafted = try staf.completeStep(record.hex, expectedStep: move.step)
                    #expect(drafted.next == span.from, "\(sop.code): the record waits for its letter")
                    let letter = Replica.letterID(for: record)
                    let letterSop = try #require(staf.flow(try staf.show(letter.hex).summary.sop))
                    // The letter's number needs its classification, which the desk gives it.
                    try staf.setField(letter.hex, field: "classification", value: "HK2.6")
                    #expect(try staf.show(record.hex).linked?.id == letter.hex)
                    #expect(throws: ReplicaError.self, "the letter's steps are not done on the record") { try staf.completeStep(record.hex, expectedStep: move.step) }
                    holder = try walk(letter, letterSop, Self.paths(letterSop)[0], p, skipFirst: false, from: staf)
                    #expect(try holder.show(letter.hex).linked?.id == record.hex)
                    continue
                }
                clock.advance(by: 60_000)
                let step = try #require(sop.step(move.step))
                for (k, role) in Self.actors(step, p, i).enumerated() {
                    let actor = nodes[role]!
                    try hand(holder, actor)
                    if step.requires == "number", sop.kind == .letter, try actor.show(record.hex).fields["direction"] == "keluar" {
                        // Umum & Keuangan gives the number the staff's sending step needs.
                        let umum = nodes[.umumKeuangan]!
                        try hand(actor, umum)
                        try umum.numberLetter(record.hex, now: ManualClock.date(clock.now()))
                        try hand(umum, actor)
                    }
                    let last = k == Self.actors(step, p, i).count - 1
                    let outcome = try actor.completeStep(record.hex, branch: move.branch, expectedStep: move.step)
                    #expect(outcome.next == (last ? WorkflowFold.next(after: step, branch: move.branch) : move.step), "\(sop.code) path \(path) at \(move)")
                    if !last {
                        // The role that signed cannot sign again.
                        #expect(throws: ReplicaError.self) { try actor.completeStep(record.hex, expectedStep: move.step) }
                    }
                    holder = actor
                }
            }
            let detail = try holder.show(record.hex)
            #expect(detail.summary.status == "done", "\(sop.code) path \(path)")
            #expect(detail.summary.step == nil)
            #expect(detail.steps.allSatisfy { $0.status == "ok" }, "\(sop.code) path \(path): \(detail.steps.map(\.status))")
            let counted = path.enumerated().filter { !(covered && sop.letter!.covers($0.element.step)) }
            #expect(detail.steps.map(\.step) == counted.flatMap { i, move in Self.actors(sop.step(move.step)!, p, i).map { _ in move.step } })
            #expect(throws: ReplicaError.self) { try holder.completeStep(record.hex) }
            return holder
        }
        for (p, path) in Self.paths(sop).enumerated() {
            let first = try #require(sop.step(sop.start))
            let holder = nodes[first.actors[p % first.actors.count]]!
            let record = try Self.create(sop, on: holder)
            // Bug reports and deletion requests are filed by completing their first step.
            _ = try walk(record, sop, path, p, skipFirst: sop.kind == .bug || sop.kind == .deletion, from: holder)
        }
        try Exchange.meshUntilEqual(everyone)
        let digests = Set(try everyone.map { try $0.digest() })
        #expect(digests.count == 1)
        #expect(try everyone.allSatisfy { try $0.verify().ok })
    }
}
