import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// Steps needing several roles, answers with their own labels, early ends, loops back and steps
/// recording an outside party: in the pure fold and at real desks.
@Suite("Flow semantics") struct FlowSemanticsTests {
    /// 1 staf-ti → 2 kasubbag, then sekretaris (in turn) → 3 ketua and sekretaris (any order) →
    /// 4 staf-ti: valid? valid → 5, tidak valid → 2 (a loop) → 5 staf-ti records SATGAS SIPP's answer → end
    static let sop = SOP(
        code: "UJI", title: "Uji", gloss: "test", source: "test", kind: .task,
        steps: [
            SOPStep(number: 1, activity: "a", gloss: "a", actors: [.stafTI], minutes: 5, output: "", next: 2),
            SOPStep(number: 2, activity: "paraf", gloss: "paraf", actors: [.kasubbag, .sekretaris], mode: .inTurn, minutes: 10, output: "", next: 3),
            SOPStep(number: 3, activity: "setuju", gloss: "agree", actors: [.ketua, .sekretaris], mode: .all, minutes: 10, output: "", next: 4),
            SOPStep(
                number: 4, activity: "periksa", gloss: "check", actors: [.stafTI], minutes: 5, output: "",
                decision: SOPDecision(question: "Valid?", gloss: "valid?", answers: [SOPAnswer("valid", next: 5), SOPAnswer("tidak valid", next: 2)]), next: nil),
            SOPStep(
                number: 5, activity: "jawaban SATGAS SIPP diterima", gloss: "answer received", actors: [.stafTI],
                external: SOPExternal(party: "SATGAS SIPP", document: "surat jawaban"), time: try! TimeStandard("relatif"), output: "", next: nil),
        ])
    static let origin = ID128(high: 0xBB, low: 2)

    private static func fold(_ moves: [(Int, Role, Branch?)]) -> WorkflowState {
        let events = moves.enumerated().map { i, m in
            StepEvent(op: OpID(origin: origin, seq: UInt64(i + 1)), hlc: HLC(milliseconds: ManualClock.start + UInt64(i + 1) * 1_000, counter: 0), step: m.0, branch: m.2, role: m.1)
        }
        return WorkflowFold.fold(sop: sop, created: HLC(milliseconds: ManualClock.start, counter: 0), events: events)
    }

    private static func statuses(_ state: WorkflowState) -> [StepStatus] {
        state.statuses.sorted { $0.key.seq < $1.key.seq }.map(\.value)
    }

    @Test func inTurnNeedsEachRoleInTheListedOrder() {
        var state = Self.fold([(1, .stafTI, nil), (2, .sekretaris, nil)])
        #expect(state.current == 2 && Self.statuses(state) == [.ok, .outOfOrder], "the Sekretaris's paraf before the Kasubbag's does not count")
        #expect(state.waiting(in: Self.sop) == [.kasubbag])
        state = Self.fold([(1, .stafTI, nil), (2, .kasubbag, nil)])
        #expect(state.current == 2 && state.signed == [.kasubbag] && state.waiting(in: Self.sop) == [.sekretaris])
        state = Self.fold([(1, .stafTI, nil), (2, .kasubbag, nil), (2, .kasubbag, nil), (2, .sekretaris, nil)])
        #expect(state.current == 3 && Self.statuses(state) == [.ok, .ok, .outOfOrder, .ok], "a second paraf by the same role is a duplicate")
        #expect(state.since.milliseconds == ManualClock.start + 4_000, "the step is done when its last role signs")
    }

    @Test func allNeedsEachRoleInAnyOrder() {
        let two = [(1, Role.stafTI, Branch?.none), (2, .kasubbag, nil), (2, .sekretaris, nil)]
        for order in [[Role.ketua, .sekretaris], [.sekretaris, .ketua]] {
            let state = Self.fold(two + order.map { (3, $0, nil) })
            #expect(state.current == 4, "\(order)")
        }
        let state = Self.fold(two + [(3, .ketua, nil), (3, .umumKeuangan, nil)])
        #expect(state.current == 3 && Self.statuses(state).last == .unauthorized && state.waiting(in: Self.sop) == [.sekretaris])
    }

    @Test func aLoopBackStartsTheStepsSignaturesAfresh() {
        let through3: [(Int, Role, Branch?)] = [(2, .kasubbag, nil), (2, .sekretaris, nil), (3, .ketua, nil), (3, .sekretaris, nil)]
        let state = Self.fold([(1, .stafTI, nil)] + through3 + [(4, .stafTI, .tidak)] + through3 + [(4, .stafTI, .ya), (5, .stafTI, nil)])
        #expect(state.current == nil)
        #expect(state.statuses.values.allSatisfy { $0 == .ok })
        let back = Self.fold([(1, .stafTI, nil)] + through3 + [(4, .stafTI, .tidak), (2, .sekretaris, nil)])
        #expect(back.current == 2 && back.signed.isEmpty && Self.statuses(back).last == .outOfOrder, "the earlier parafs do not carry over")
    }

    @Test func answersTravelAsYaTidakByPosition() throws {
        let d = try #require(Self.sop.step(4)?.decision)
        #expect(d.branch(for: "valid") == .ya && d.branch(for: "TIDAK VALID") == .tidak && d.branch(for: "tidak") == .tidak)
        #expect(d.branch(for: "mungkin") == nil)
        #expect(d.answer(.tidak)?.label == "tidak valid")
    }

    // MARK: At real desks

    @Test func bothParafsAreNeededInTurnAtRealDesks() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let kasubbag = try sandbox.replica("kasub", role: .kasubbag)
        let sekretaris = try sandbox.replica("sekretaris", role: .sekretaris)
        let staf = try sandbox.replica("staf", role: .stafTI)
        let letter = try kasubbag.draftLetter(subject: "Balasan", recipient: "PT Pekanbaru", classification: "HK2.6")
        try kasubbag.completeStep(letter.hex, expectedStep: 4)
        try Exchange.runs(from: kasubbag, to: staf)
        try staf.completeStep(letter.hex, expectedStep: 5)
        try Exchange.runs(from: staf, to: sekretaris)
        code(.notPermitted, containing: "kasubbag's turn") { try sekretaris.completeStep(letter.hex) }
        try Exchange.runs(from: staf, to: kasubbag)
        let first = try kasubbag.completeStep(letter.hex, note: "paraf Kasubbag")
        #expect(first.next == 6 && first.nextRoles == ["sekretaris"])
        code(.notPermitted, containing: "already done its part") { try kasubbag.completeStep(letter.hex) }
        try Exchange.runs(from: kasubbag, to: sekretaris)
        let second = try sekretaris.completeStep(letter.hex, note: "paraf Sekretaris")
        #expect(second.next == 7 && second.nextRoles == ["ketua", "wakil-ketua"])
        #expect(try sekretaris.show(letter.hex).steps.filter { $0.step == 6 }.map(\.role) == ["kasubbag", "sekretaris"])
    }

    @Test func labelledAnswersAndEarlyEndsAtRealDesks() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let staf = try sandbox.replica("staf", role: .stafTI)
        let task = try staf.addTask(sop: "GANGGUAN-SERVER")
        try staf.completeStep(task.hex)
        code(.invalidInput, containing: "not an answer") { try staf.completeStep(task.hex, answer: "mungkin") }
        code(.invalidInput, containing: "step 2 asks") { try staf.completeStep(task.hex, answer: nil) }
        let outcome = try staf.completeStep(task.hex, answer: "Tuntas")
        #expect(outcome.branch == "tuntas" && outcome.next == nil)
        #expect(try staf.show(task.hex).summary.status == "done")
        let monitor = try staf.addTask(sop: "MONITOR")
        try staf.completeStep(monitor.hex)
        #expect(try staf.completeStep(monitor.hex, answer: "tidak berhasil").next == 3)
    }

    @Test func anExternalStepNotesThePartyAndItsDocument() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let staf = try sandbox.replica("staf", role: .stafTI)
        let task = try staf.addTask(sop: "RKAKL")
        let sekretaris = try sandbox.replica("sekretaris", role: .sekretaris)
        try staf.completeStep(task.hex, expectedStep: 1)
        try Exchange.runs(from: staf, to: sekretaris)
        try sekretaris.completeStep(task.hex, expectedStep: 2)
        try Exchange.runs(from: sekretaris, to: staf)
        try staf.completeStep(task.hex, expectedStep: 3)
        try staf.completeStep(task.hex, expectedStep: 4)
        try staf.completeStep(task.hex, expectedStep: 5)
        let notes = try staf.show(task.hex).steps.map(\.note)
        #expect(notes.last == "PT / MA: Data Pagu Sementara")
        #expect(SOP.named("RKAKL")?.step(5)?.external?.party == "PT / MA")
    }
}
