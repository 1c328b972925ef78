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
    /// Not the step the flow was at when this event happened (a duplicate, or a step skipped ahead).
    case outOfOrder = "out-of-order"
    /// Done by a role the SOP does not give this step to.
    case unauthorized
    /// A decision step completed without a ya/tidak answer.
    case missingBranch = "missing-branch"
    /// The record has not been created here yet (its create operation has not arrived).
    case pending
}

/// The workflow state of a record: a deterministic function of its SOP and the set of step events.
public struct WorkflowState: Sendable, Equatable {
    /// The step the flow is at; nil when the flow has ended.
    public var current: Int?
    /// When the current step became current (creation, or the last counted step event).
    public var since: HLC
    public var statuses: [OpID: StepStatus]
}

public enum WorkflowFold {
    /// The step after `step` when completed with `branch` (nil ends the flow).
    public static func next(after step: SOPStep, branch: Branch?) -> Int? {
        if let d = step.decision { return branch == .ya ? d.ya : d.tidak }
        return step.next
    }

    /// Folds step events in (clock, origin, seq) order from the SOP's start step.
    public static func fold(sop: SOP, created: HLC, events: [StepEvent]) -> WorkflowState {
        let ordered = events.sorted { ($0.hlc, $0.op.origin, $0.op.seq) < ($1.hlc, $1.op.origin, $1.op.seq) }
        var state = WorkflowState(current: sop.start, since: created, statuses: [:])
        for event in ordered {
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
            state.statuses[event.op] = .ok
            state.current = next(after: step, branch: event.branch)
            state.since = event.hlc
        }
        return state
    }
}
