import Replica

/// The streaming half of the session: batches out with a window of acknowledgements, batches
/// in applied one at a time, done ↔ done.
extension Session {
    mutating func startStreamingIfReady(_ actions: inout [Action]) {
        guard phase == .handshake, localVector != nil, let peerVector, peerAuthorization?.allowed == true else { return }
        phase = .streaming
        cursor = peerVector
        loadIfRoom(&actions)
    }

    mutating func loadIfRoom(_ actions: inout [Action]) {
        guard phase == .streaming, !loading, !exhausted, inFlight.count < Self.window else { return }
        loading = true
        actions.append(.loadBatch(after: cursor))
    }

    mutating func batchLoaded(_ runs: [OperationRun], into actions: inout [Action]) {
        loading = false
        guard phase == .streaming else { return }
        guard !runs.isEmpty else {
            exhausted = true
            sendDoneIfReady(&actions)
            return
        }
        let id = nextBatchID
        nextBatchID += 1
        for run in runs { cursor[run.origin] = max(cursor[run.origin], run.lastSeq) }
        inFlight.append(id)
        actions.append(.send(.batch(id: id, runs: runs)))
        loadIfRoom(&actions)
    }

    mutating func sendDoneIfReady(_ actions: inout [Action]) {
        guard phase == .streaming, exhausted, inFlight.isEmpty, !sentDone else { return }
        sentDone = true
        actions.append(.send(.done(localVector ?? VersionVector())))
        finishIfDone(&actions)
    }

    mutating func applyNextIfIdle(_ actions: inout [Action]) {
        guard !applying, let next = pending.first else { return }
        applying = true
        actions.append(.apply(id: next.id, runs: next.runs))
    }

    mutating func applied(_ id: UInt64, _ report: ApplyReport, into actions: inout [Action]) throws {
        guard applying, pending.first?.id == id else {
            throw SyncError(.storage, "internal error: batch \(id) was applied out of turn")
        }
        applying = false
        pending.removeFirst()
        actions.append(.send(.ack(id: id, applied: UInt64(report.appliedTotal))))
        applyNextIfIdle(&actions)
        finishIfDone(&actions)
    }

    mutating func finishIfDone(_ actions: inout [Action]) {
        guard phase == .streaming, sentDone, peerDone, pending.isEmpty, !applying else { return }
        phase = .finished
        actions.append(.finish)
    }
}
