import Testing

@testable import SyncProtocol

@Suite("Admission: budgets for strangers, reserved slots for members")
struct AdmissionTests {
    static func limits(pending: Int = 4, perAddress: Int = 2, sessions: Int = 3) -> Admission.Limits {
        var limits = Admission.Limits()
        limits.pending = pending
        limits.pendingPerAddress = perAddress
        limits.sessions = sessions
        return limits
    }

    @Test("one address cannot take more than its share of handshake slots")
    func perAddress() {
        var a = Admission(limits: Self.limits())
        let v1 = a.arrive(1, from: "10.0.0.9")
        #expect(v1 == .admit)
        let v2 = a.arrive(2, from: "10.0.0.9")
        #expect(v2 == .admit)
        guard case .refuse(let error) = a.arrive(3, from: "10.0.0.9") else { Issue.record("not refused"); return }
        #expect(error.code == .busy && error.message.hasSuffix("retry in 5 s"))
        let v3 = a.arrive(4, from: "10.0.0.1")
        #expect(v3 == .admit)
    }

    @Test("when every slot is taken, a quieter address takes the oldest slot of the busiest")
    func eviction() {
        var a = Admission(limits: Self.limits())
        for id in 1...2 {
            let v = a.arrive(UInt64(id), from: "10.0.0.8")
            #expect(v == .admit)
        }
        for id in 3...4 {
            let v = a.arrive(UInt64(id), from: "10.0.0.9")
            #expect(v == .admit)
        }
        // 10.0.0.1 holds none: it gets in, the oldest of a busiest address goes.
        let v6 = a.arrive(5, from: "10.0.0.1")
        #expect(v6 == .admitEvicting(1))
        // 10.0.0.8 now holds one, 10.0.0.9 two: 10.0.0.8 may take 10.0.0.9's oldest.
        let v7 = a.arrive(6, from: "10.0.0.8")
        #expect(v7 == .admitEvicting(3))
        #expect(a.pendingCount == 4 && a.pending(from: "10.0.0.1") == 1)
        // Every address holds one: a newcomer from one of them is refused, nothing evicted.
        var b = Admission(limits: Self.limits())
        for id in 1...4 {
            let v = b.arrive(UInt64(id), from: "10.0.1.\(id)")
            #expect(v == .admit)
        }
        guard case .refuse = b.arrive(5, from: "10.0.1.2") else { Issue.record("not refused"); return }
        #expect(b.pendingCount == 4)
    }

    @Test("members' sessions have their own slots; a full daemon answers busy")
    func sessions() {
        var a = Admission(limits: Self.limits(sessions: 2))
        let v8 = a.dial()
        #expect(v8)
        let v9 = a.arrive(1, from: "10.0.0.1")
        #expect(v9 == .admit)
        let v10 = a.authenticated(1)
        #expect(v10 == nil)
        #expect(a.pendingCount == 0 && a.sessions == 2)
        let v11 = a.dial()
        #expect(!v11)
        let v12 = a.arrive(2, from: "10.0.0.2")
        #expect(v12 == .admit)
        let v13 = a.authenticated(2)
        #expect(v13?.code == .busy)
        a.left(1, wasSession: true)
        let v14 = a.dial()
        #expect(v14)
    }

    @Test("a busy answer says when to come back, and that can be read back")
    func retryAfter() {
        let error = SyncError.busy("16 connections are still in their handshake", retryAfter: 7)
        #expect(SyncError.retryAfter(error.message) == 7)
        #expect(SyncError.retryAfter("the peer is \(error.message)") == 7)
        #expect(SyncError.retryAfter("no delay here") == nil)
    }
}
