import Replica
import ReplicaTesting
import Testing

/// The pure workflow fold on a small hand-made SOP (independent of the shipped catalog).
///
///     1 meja-satu → 2 staf-ti: can IT fix it? ya → 3 kasubbag → 5 ; tidak → 4 ketua|sekretaris → 5 ; 5 staf-ti → end
@Suite("Workflow fold") struct WorkflowFoldTests {
    static let sop = SOP(
        code: "UJI", title: "Uji", gloss: "test flow", source: "test", kind: .task,
        steps: [
            SOPStep(number: 1, activity: "lapor", gloss: "report", actors: [.mejaSatu], minutes: 1, output: "", next: 2),
            SOPStep(
                number: 2, activity: "periksa", gloss: "examine", actors: [.stafTI], minutes: 15, output: "",
                decision: SOPDecision(question: "Bisa diperbaiki?", gloss: "fixable?", ya: 3, tidak: 4), next: nil),
            SOPStep(number: 3, activity: "perbaiki", gloss: "fix", actors: [.kasubbag], minutes: 15, output: "", next: 5),
            SOPStep(number: 4, activity: "lapor", gloss: "escalate", actors: [.ketua, .sekretaris], minutes: 5, output: "", next: 5),
            SOPStep(number: 5, activity: "selesai", gloss: "close", actors: [.stafTI], minutes: 1, output: "", next: nil),
        ])
    static let created = HLC(milliseconds: ManualClock.start, counter: 0)
    static let origin = ID128(high: 0xAA, low: 1)

    private static func event(_ seq: UInt64, step: Int, _ role: Role, _ branch: Branch? = nil, at ms: UInt64? = nil) -> StepEvent {
        StepEvent(
            op: OpID(origin: origin, seq: seq), hlc: HLC(milliseconds: ManualClock.start + (ms ?? seq * 1_000), counter: 0), step: step,
            branch: branch, role: role)
    }

    private static func fold(_ events: [StepEvent]) -> WorkflowState {
        WorkflowFold.fold(sop: sop, created: created, events: events)
    }

    @Test func aNewRecordWaitsAtTheStartSinceItsCreation() {
        let state = Self.fold([])
        #expect(state.current == 1)
        #expect(state.since == Self.created)
        #expect(state.statuses.isEmpty)
    }

    struct Path: Sendable, CustomTestStringConvertible {
        var branch: Branch
        var middle: Int
        var actor: Role
        var testDescription: String { "\(branch) → \(middle) by \(actor.rawValue)" }
    }

    @Test(arguments: [Path(branch: .ya, middle: 3, actor: .kasubbag), Path(branch: .tidak, middle: 4, actor: .sekretaris), Path(branch: .tidak, middle: 4, actor: .ketua)])
    func orderedStepsFollowTheBranchToTheEnd(path: Path) {
        let (branch, middle, actor) = (path.branch, path.middle, path.actor)
        let events = [
            Self.event(1, step: 1, .mejaSatu), Self.event(2, step: 2, .stafTI, branch), Self.event(3, step: middle, actor),
            Self.event(4, step: 5, .stafTI),
        ]
        var prefix: [StepEvent] = []
        var expected: [Int?] = [2, middle, 5, nil]
        for e in events {
            prefix.append(e)
            let state = Self.fold(prefix)
            #expect(state.current == expected.removeFirst())
            #expect(state.since == e.hlc)
        }
        #expect(Self.fold(events).statuses.values.allSatisfy { $0 == .ok })
    }

    @Test func outOfOrderEventsAreMarkedAndDoNotAdvance() {
        let early = Self.event(1, step: 2, .stafTI, .ya)
        let state = Self.fold([early, Self.event(2, step: 1, .mejaSatu), Self.event(3, step: 1, .mejaSatu), Self.event(4, step: 4, .ketua)])
        #expect(state.statuses[early.op] == .outOfOrder, "step 2 before step 1")
        #expect(state.statuses[OpID(origin: Self.origin, seq: 2)] == .ok)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 3)] == .outOfOrder, "a duplicate of a done step")
        #expect(state.statuses[OpID(origin: Self.origin, seq: 4)] == .outOfOrder, "a skip ahead")
        #expect(state.current == 2)
        #expect(state.since == Self.event(2, step: 1, .mejaSatu).hlc)
    }

    @Test func unauthorizedEventsAreMarkedAndDoNotAdvance() {
        let state = Self.fold([
            Self.event(1, step: 1, .stafTI), Self.event(2, step: 1, .mejaSatu), Self.event(3, step: 2, .ketua, .ya),
            Self.event(4, step: 2, .stafTI, .ya), Self.event(5, step: 3, .stafTI),
        ])
        #expect(state.statuses[OpID(origin: Self.origin, seq: 1)] == .unauthorized)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 3)] == .unauthorized)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 5)] == .unauthorized)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 2)] == .ok)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 4)] == .ok)
        #expect(state.current == 3)
    }

    @Test func aDecisionWithoutBranchIsMarkedMissingBranch() {
        let state = Self.fold([Self.event(1, step: 1, .mejaSatu), Self.event(2, step: 2, .stafTI)])
        #expect(state.statuses[OpID(origin: Self.origin, seq: 2)] == .missingBranch)
        #expect(state.current == 2)
        let answered = Self.fold([Self.event(1, step: 1, .mejaSatu), Self.event(2, step: 2, .stafTI), Self.event(3, step: 2, .stafTI, .tidak)])
        #expect(answered.current == 4)
    }

    @Test func aBranchOnAPlainStepIsIgnored() throws {
        let step = try #require(Self.sop.step(1))
        #expect(WorkflowFold.next(after: step, branch: .tidak) == 2)
        let state = Self.fold([Self.event(1, step: 1, .mejaSatu, .tidak)])
        #expect(state.current == 2)
    }

    @Test func eventsAfterTheEndAreOutOfOrder() {
        let state = Self.fold([
            Self.event(1, step: 1, .mejaSatu), Self.event(2, step: 2, .stafTI, .ya), Self.event(3, step: 3, .kasubbag),
            Self.event(4, step: 5, .stafTI), Self.event(5, step: 5, .stafTI), Self.event(6, step: 1, .mejaSatu),
        ])
        #expect(state.current == nil)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 5)] == .outOfOrder)
        #expect(state.statuses[OpID(origin: Self.origin, seq: 6)] == .outOfOrder)
        #expect(state.since == Self.event(4, step: 5, .stafTI).hlc)
    }

    @Test func aDecisionAnswerWithNoTargetEndsTheFlow() {
        let short = SOP(
            code: "PENDEK", title: "t", gloss: "g", source: "test", kind: .task,
            steps: [
                SOPStep(
                    number: 1, activity: "a", gloss: "a", actors: [.stafTI], minutes: 1, output: "",
                    decision: SOPDecision(question: "?", gloss: "?", ya: nil, tidak: 1), next: nil)
            ])
        let e = { (seq: UInt64, branch: Branch) in Self.event(seq, step: 1, .stafTI, branch) }
        #expect(WorkflowFold.fold(sop: short, created: Self.created, events: [e(1, .tidak), e(2, .tidak)]).current == 1, "a loop back")
        #expect(WorkflowFold.fold(sop: short, created: Self.created, events: [e(1, .tidak), e(2, .ya)]).current == nil)
    }

    /// The fold orders events by (clock, origin, seq), never by the order they are handed in,
    /// so concurrent step events from two nodes give one state on every replica.
    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func stateIsAFunctionOfTheSetOfEvents(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let roles = Role.allCases
        let events = (0..<12).map { i -> StepEvent in
            StepEvent(
                op: OpID(origin: ID128(high: 0, low: UInt64(rng.below(3))), seq: UInt64(i + 1)),
                hlc: HLC(milliseconds: ManualClock.start + UInt64(rng.below(8)), counter: UInt16(rng.below(2))), step: 1 + rng.below(5),
                branch: rng.chance(50) ? (rng.chance(50) ? .ya : .tidak) : nil, role: rng.pick(roles))
        }
        let reference = Self.fold(events)
        #expect(reference.statuses.count == events.count, "every event gets a status")
        for _ in 0..<10 {
            #expect(Self.fold(rng.shuffled(events)) == reference, "seed \(seed)")
        }
    }

    /// A flow whose steps 2-3 its letter does: events on them never count, and the flow moves on
    /// past 3 once it is at 2 and the letter has ended, whichever came first.
    @Test func stepsALetterCoversAreDoneThroughIt() {
        let sop = SOP(
            code: "SURAT-UJI", title: "Uji", gloss: "test flow", source: "test", kind: .bug,
            steps: [
                SOPStep(number: 1, activity: "lapor", gloss: "report", actors: [.mejaSatu], minutes: 1, output: "", next: 2),
                SOPStep(number: 2, activity: "konsep", gloss: "draft", actors: [.stafTI], minutes: 15, output: "", next: 3),
                SOPStep(number: 3, activity: "tanda tangan", gloss: "sign", actors: [.ketua], minutes: 1, output: "", next: 4),
                SOPStep(number: 4, activity: "beritahu", gloss: "tell", actors: [.stafTI], minutes: 1, output: "", next: nil),
            ],
            letter: SOPLetter(from: 2, to: 3, recipient: "SATGAS SIPP"))
        let events = [Self.event(1, step: 1, .mejaSatu), Self.event(2, step: 2, .stafTI), Self.event(3, step: 3, .ketua)]
        // Without a letter record the steps are done on the record itself.
        #expect(WorkflowFold.fold(sop: sop, created: Self.created, events: events).current == 4)
        // With one that still runs: the record waits at 2, the covered events count for nothing.
        let running = WorkflowFold.fold(sop: sop, created: Self.created, events: events, letter: LetterProgress(ended: nil))
        #expect(running.current == 2 && running.statuses[events[1].op] == .viaLetter && running.statuses[events[2].op] == .viaLetter)
        // The letter ended before the record reached step 2: it moves on when it gets there.
        let early = HLC(milliseconds: ManualClock.start + 500, counter: 0)
        let before = WorkflowFold.fold(sop: sop, created: Self.created, events: [events[0]], letter: LetterProgress(ended: early))
        #expect(before.current == 4 && before.since == events[0].hlc)
        // It ended later: the record moves on at that time, and step 4 then counts.
        let later = HLC(milliseconds: ManualClock.start + 5_000, counter: 0)
        let done = WorkflowFold.fold(sop: sop, created: Self.created, events: [events[0], Self.event(6, step: 4, .stafTI)], letter: LetterProgress(ended: later))
        #expect(done.current == nil && done.statuses.values.allSatisfy { $0 == .ok })
        let tooEarly = WorkflowFold.fold(sop: sop, created: Self.created, events: [events[0], Self.event(4, step: 4, .stafTI)], letter: LetterProgress(ended: later))
        #expect(tooEarly.current == 4 && tooEarly.since == later, "a step 4 before the letter ended was out of order")
    }
}
