/// A workflow step event of one record, as the fold sees it.
public struct StepEvent: Sendable, Equatable {
    public var op: OpID
    public var hlc: HLC
    public var step: Int
    public var branch: Branch?
    public var role: Role

    public init(op: OpID, hlc: HLC, step: Int, branch: Branch?, role: Role) {
        self.op = op
        self.hlc = hlc
        self.step = step
        self.branch = branch
        self.role = role
    }
}

/// How the fold counted a step event. Marked events stay in the history; only `ok` ones advance.
public enum StepStatus: String, Sendable, CaseIterable {
    case ok
    /// Not the step the flow was at when this event happened (a duplicate, a step skipped ahead,
    /// a role that already signed a step needing several, or one whose turn has not come).
    case outOfOrder = "out-of-order"
    /// Done by a role the SOP does not give this step to.
    case unauthorized
    /// A decision step completed without a ya/tidak answer.
    case missingBranch = "missing-branch"
    /// The record has not been created here yet (its create operation has not arrived).
    case pending
    /// A step its letter record does: the letter's flow completes it, not an event on this record.
    case viaLetter = "via-letter"
}

/// What the fold of a parent record (bug report, deletion request) knows of its letter.
public struct LetterProgress: Sendable, Equatable {
    /// When the letter's flow ended; nil while it runs.
    public var ended: HLC?

    public init(ended: HLC?) { self.ended = ended }
}

/// The workflow state of a record: a deterministic function of its SOP and the set of step events.
public struct WorkflowState: Sendable, Equatable {
    /// The step the flow is at; nil when the flow has ended.
    public var current: Int?
    /// When the current step became current (creation, or the event that completed the step before).
    public var since: HLC
    public var statuses: [OpID: StepStatus]
    /// The roles that have done their part of the current step, when it needs several.
    public var signed: [Role] = []

    /// The roles that can act on the current step now: for a step needing several roles, those
    /// that have not yet (in turn: only the next one).
    public func waiting(in sop: SOP) -> [Role] {
        guard let current, let step = sop.step(current) else { return [] }
        let left = step.actors.filter { !signed.contains($0) }
        return step.mode == .inTurn ? Array(left.prefix(1)) : left
    }
}

public enum WorkflowFold {
    /// The step after `step` when completed with `branch` (nil ends the flow).
    public static func next(after step: SOPStep, branch: Branch?) -> Int? {
        if let d = step.decision { return branch == .ya ? d.ya : d.tidak }
        return step.next
    }

    /// Folds step events in (clock, origin, seq) order from the SOP's start step.
    ///
    /// A step for one of its roles completes with the first counted event. A step that needs
    /// several roles counts one event per role (in the listed order when `inTurn`) and completes
    /// with the last of them; a second event by a role that already signed, or one out of turn, is
    /// out of order. A decision answered by an event leads where its answer says, back to an
    /// earlier step too: a loop starts that step's signatures afresh.
    ///
    /// A flow whose letter record exists (`letter`) does the steps the letter covers only through
    /// it: events on them are `viaLetter`, and once the flow is at the letter's first step and the
    /// letter's flow has ended, it moves past the letter's last step.
    public static func fold(sop: SOP, created: HLC, events: [StepEvent], letter: LetterProgress? = nil) -> WorkflowState {
        let ordered = events.sorted { ($0.hlc, $0.op.origin, $0.op.seq) < ($1.hlc, $1.op.origin, $1.op.seq) }
        var state = WorkflowState(current: sop.start, since: created, statuses: [:])
        let span = letter == nil ? nil : sop.letter
        /// Moves the flow past the letter's steps once it waits for a letter that has ended by `at`.
        func passLetter(by at: HLC?) {
            guard let span, let ended = letter?.ended, state.current == span.from, at.map({ ended <= $0 }) ?? true,
                let last = sop.step(span.to)
            else { return }
            state.current = next(after: last, branch: nil)
            state.since = max(state.since, ended)
            state.signed = []
        }
        for event in ordered {
            passLetter(by: event.hlc)
            if let span, span.covers(event.step) {
                state.statuses[event.op] = .viaLetter
                continue
            }
            guard let current = state.current, event.step == current, let step = sop.step(current) else {
                state.statuses[event.op] = .outOfOrder
                continue
            }
            guard step.actors.contains(event.role) else {
                state.statuses[event.op] = .unauthorized
                continue
            }
            if step.decision != nil && event.branch == nil {
                state.statuses[event.op] = .missingBranch
                continue
            }
            if step.mode != .any {
                guard state.waiting(in: sop).contains(event.role) else {
                    state.statuses[event.op] = .outOfOrder
                    continue
                }
                state.statuses[event.op] = .ok
                state.signed.append(event.role)
                guard state.signed.count == step.actors.count else { continue }
            }
            state.statuses[event.op] = .ok
            state.signed = []
            state.current = next(after: step, branch: event.branch)
            state.since = event.hlc
        }
        passLetter(by: nil)
        return state
    }
}
