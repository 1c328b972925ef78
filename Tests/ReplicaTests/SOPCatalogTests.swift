import Testing

@testable import Replica

@Suite struct SOPCatalogTests {
    /// The step numbers a flow can reach from `start`, following `next` and both decision answers.
    private static func reachable(in sop: SOP, from start: Int) -> Set<Int> {
        var seen: Set<Int> = []
        var pending = [start]
        while let number = pending.popLast() {
            guard seen.insert(number).inserted, let step = sop.step(number) else { continue }
            if let decision = step.decision {
                pending += [decision.ya, decision.tidak].compactMap { $0 }
            } else if let next = step.next {
                pending.append(next)
            }
        }
        return seen
    }

    /// Every target a step can lead to.
    private static func targets(of step: SOPStep) -> [Int] {
        if let decision = step.decision {
            return [decision.ya, decision.tidak].compactMap { $0 }
        }
        return [step.next].compactMap { $0 }
    }

    private static func sop(_ code: String) throws -> SOP {
        try #require(SOP.named(code), "no SOP \(code)")
    }

    @Test func codesAreUnique() {
        let codes = SOP.catalog.map(\.code)
        #expect(Set(codes).count == codes.count)
        let folded = codes.map { $0.lowercased() }
        #expect(Set(folded).count == folded.count, "codes must stay unique case-insensitively")
    }

    @Test func catalogHasTheRequiredFlows() {
        let codes = Set(SOP.catalog.map(\.code))
        for code in [
            "BUG", "HAPUS", "SURAT-MASUK", "SURAT-KELUAR", "BACKUP", "SINKRON", "MONITOR", "UPGRADE",
            "SERVER", "GANGGUAN-SERVER",
        ] {
            #expect(codes.contains(code), "missing \(code)")
        }
    }

    @Test func namedIsCaseInsensitive() {
        #expect(SOP.named("BUG")?.code == "BUG")
        #expect(SOP.named("bug")?.code == "BUG")
        #expect(SOP.named("Hapus")?.code == "HAPUS")
        #expect(SOP.named("surat-keluar")?.code == "SURAT-KELUAR")
        #expect(SOP.named("Gangguan-Server")?.code == "GANGGUAN-SERVER")
        #expect(SOP.named("no-such-sop") == nil)
        #expect(SOP.named("") == nil)
    }

    @Test func kindsMatchTheirFlows() throws {
        #expect(try Self.sop("BUG").kind == .bug)
        #expect(try Self.sop("HAPUS").kind == .deletion)
        #expect(try Self.sop("SURAT-MASUK").kind == .letter)
        #expect(try Self.sop("SURAT-KELUAR").kind == .letter)
        for code in ["BACKUP", "SINKRON", "MONITOR", "UPGRADE", "SERVER", "GANGGUAN-SERVER"] {
            #expect(try Self.sop(code).kind == .task, "\(code)")
        }
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func stepNumbersAreUniqueAndStartExists(code: String) throws {
        let sop = try Self.sop(code)
        #expect(!sop.steps.isEmpty)
        let numbers = sop.steps.map(\.number)
        #expect(Set(numbers).count == numbers.count, "duplicate step numbers in \(code)")
        #expect(sop.step(sop.start) != nil, "\(code) starts at missing step \(sop.start)")
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func everyTargetExists(code: String) throws {
        let sop = try Self.sop(code)
        for step in sop.steps {
            for target in [step.next, step.decision?.ya, step.decision?.tidak].compactMap({ $0 }) {
                #expect(sop.step(target) != nil, "\(code) step \(step.number) points at missing step \(target)")
            }
        }
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func everyStepIsReachable(code: String) throws {
        let sop = try Self.sop(code)
        // SURAT-MASUK and SURAT-KELUAR share one table (seed 004, SOP 11); SURAT-KELUAR enters it at
        // the draft, so its incoming half is reached through its sibling's start instead.
        let siblings = SOP.catalog.filter { $0.source == sop.source && $0.steps == sop.steps }
        var seen: Set<Int> = []
        for sibling in siblings {
            seen.formUnion(Self.reachable(in: sop, from: sibling.start))
        }
        for step in sop.steps {
            #expect(seen.contains(step.number), "\(code) step \(step.number) is unreachable")
        }
        if siblings.count == 1 {
            #expect(Self.reachable(in: sop, from: sop.start) == Set(sop.steps.map(\.number)))
        }
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func everyStepHasActorsAndTime(code: String) throws {
        let sop = try Self.sop(code)
        for step in sop.steps {
            #expect(!step.actors.isEmpty, "\(code) step \(step.number) has no actor")
            // A step without a deadline of its own says why: the flow's time covers it, the SOP's
            // words set none ("relatif"), or the reading explains the empty cell.
            let why = sop.time != nil || !step.time.text.isEmpty || step.reading != nil
            #expect(step.time.hasDeadline || why, "\(code) step \(step.number) has no time")
            #expect(!step.activity.isEmpty && !step.gloss.isEmpty, "\(code) step \(step.number)")
        }
    }

    @Test(arguments: SOP.catalog.filter { !$0.tableMissing }.map(\.code))
    func flowsEnd(code: String) throws {
        let sop = try Self.sop(code)
        let ends = sop.steps.filter { step in
            step.decision.map { $0.ya == nil || $0.tidak == nil } ?? (step.next == nil)
        }
        #expect(!ends.isEmpty, "\(code) never ends")
    }

    @Test func bugBranches() throws {
        let bug = try Self.sop("BUG")
        #expect(bug.start == 1)
        #expect(bug.steps.map(\.number) == Array(1...10))
        let report = try #require(bug.step(1))
        #expect(report.actors.contains(.userSipp))
        #expect(report.actors.contains(.mejaSatu))
        let examine = try #require(bug.step(2)?.decision)
        #expect(examine.ya == 3)
        #expect(examine.tidak == 4)
        #expect(bug.step(3)?.next == 10)
        for number in 4...9 {
            #expect(bug.step(number)?.next == number + 1, "BUG step \(number)")
        }
        #expect(bug.step(10)?.next == nil)
        #expect(bug.step(10)?.decision == nil)
        #expect(bug.step(7)?.actors == [.ketua])
        #expect(bug.step(8)?.actors == [.umumKeuangan])
    }

    @Test func hapusBranchesAsTheSeedSays() throws {
        let hapus = try Self.sop("HAPUS")
        #expect(hapus.steps.map(\.number) == Array(1...10))
        #expect(hapus.step(1)?.actors == [.mejaSatu])
        // "Mengetahui apakah kesalahan input sampai ke SIPP MA atau tidak": reached MA → request
        // the deletion from MA (4); not reached → delete locally (3).
        let reached = try #require(hapus.step(2)?.decision)
        #expect(reached.ya == 4)
        #expect(reached.tidak == 3)
        #expect(hapus.step(3)?.next == 10)
        let delete = try #require(hapus.step(3))
        #expect(delete.activity.contains("Menghapus"))
        for number in 4...9 {
            #expect(hapus.step(number)?.next == number + 1, "HAPUS step \(number)")
        }
        #expect(hapus.step(10)?.next == nil)
        #expect(hapus.step(8)?.actors == [.umumKeuangan])
    }

    @Test func suratKeluarStartsAtTheDraft() throws {
        let keluar = try Self.sop("SURAT-KELUAR")
        let masuk = try Self.sop("SURAT-MASUK")
        #expect(keluar.steps == masuk.steps, "both letter flows carry the whole of seed 004 SOP 11")
        #expect(masuk.start == 1)
        #expect(keluar.start != masuk.start)
        let draft = try #require(keluar.step(keluar.start))
        #expect(draft.activity.lowercased().contains("konsep"))
        // Seed 004 SOP 11 marks the Kasubbag column only.
        #expect(draft.actors == [.kasubbag])
        // An incoming letter that needs a reply continues into the outgoing half at the draft.
        let reply = try #require(masuk.steps.compactMap(\.decision).first)
        #expect(reply.ya == keluar.start)
        #expect(reply.tidak == nil)
    }

    @Test func letterNumberIsAskedForByTheStaff() throws {
        for code in ["SURAT-MASUK", "SURAT-KELUAR"] {
            let sop = try Self.sop(code)
            let numbering = try #require(
                sop.steps.first { $0.activity.lowercased().contains("nomor surat") },
                "\(code) has no numbering step"
            )
            // The seed marks the Staf column: the staff ask for the number, which only an
            // umum-keuangan desk can give, so the step needs the number set first.
            #expect(numbering.actors == [.stafTI])
            #expect(numbering.requires == "number")
            #expect(Self.reachable(in: sop, from: sop.start).contains(numbering.number))
        }
    }

    @Test func upgradeFailureLeadsToDowngrade() throws {
        let upgrade = try Self.sop("UPGRADE")
        let downgrades = upgrade.steps.compactMap { step -> SOPStep? in
            guard let failure = step.decision?.tidak, let target = upgrade.step(failure) else { return nil }
            return target.activity.lowercased().contains("down-grade") ? target : nil
        }
        #expect(downgrades.count == 1)
        let downgrade = try #require(downgrades.first)
        // After the downgrade the flow goes on (re-sync, report); it does not stop.
        #expect(downgrade.next != nil)
    }

    @Test func actorsAreNotRepeated() {
        for sop in SOP.catalog {
            for step in sop.steps {
                #expect(Set(step.actors).count == step.actors.count, "\(sop.code) step \(step.number)")
            }
        }
    }

    @Test func decisionStepsHaveNoPlainNext() {
        // A decision step's `next` is ignored by the workflow fold; keep it nil so the data says so.
        for sop in SOP.catalog {
            for step in sop.steps where step.decision != nil {
                #expect(step.next == nil, "\(sop.code) step \(step.number) has both a decision and next")
                #expect(!Self.targets(of: step).isEmpty)
            }
        }
    }
}
