import Replica
import ReplicaTesting
import Testing

@testable import Replica

/// Court membership: the admin enrolls desks by invitation and may revoke them.
@Suite("Court membership") final class MembershipTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func aDeskJoinsByInvitationWithTheAdminsData() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        #expect(admin.isAdmin)
        let task = try admin.addTask(sop: "BACKUP", title: "Backup harian")
        let desk = try sandbox.member("meja-satu-1", role: .mejaSatu, invitedBy: admin)
        #expect(!desk.isAdmin && desk.courtRoot == admin.courtRoot)
        #expect(desk.identity.role == .mejaSatu && desk.identity.court == admin.identity.court)
        #expect(try desk.show(task.hex).summary.title == "Backup harian", "the invitation carries the admin's replica")
        try Exchange.meshUntilEqual([admin, desk])
        #expect(try admin.members().map(\.name).sorted() == ["kasubbag", "meja-satu-1"])
        #expect(try admin.members() == desk.members())
        #expect(try admin.digest() == desk.digest())
        code(.notPermitted) { _ = try desk.invite(name: "x", role: .ketua, to: self.sandbox.path("x.invitation")) }
        code(.invalidInput) { _ = try admin.invite(name: "meja-satu-1", role: .ketua, to: self.sandbox.path("y.invitation")) }
    }

    @Test func onlyEnrolledNodesWithTheirOwnKeyAreAuthorized() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let desk = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let stranger = try sandbox.replica("stranger", role: .mejaSatu)
        let court = admin.identity.court
        for r in [admin, desk] {
            #expect(try r.authorize(node: desk.identity.node, publicKey: desk.identity.publicKey, court: court).allowed)
            #expect(try r.authorize(node: admin.identity.node, publicKey: admin.identity.publicKey, court: court).allowed)
            #expect(try !r.authorize(node: stranger.identity.node, publicKey: stranger.identity.publicKey, court: court).allowed)
            #expect(try !r.authorize(node: desk.identity.node, publicKey: stranger.identity.publicKey, court: court).allowed)
            #expect(try !r.authorize(node: desk.identity.node, publicKey: desk.identity.publicKey, court: "PN Dumai").allowed)
        }
    }

    @Test func enrollmentsByANonAdminAreIgnoredEverywhere() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let desk = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let other = try sandbox.member("ketua", role: .ketua, invitedBy: admin)
        let intruder = Member(node: ID128(high: 1, low: 2), publicKey: desk.identity.publicKey, name: "penyusup", role: .umumKeuangan)
        try desk.commit([.enroll(intruder)])
        try Exchange.meshUntilEqual([admin, desk, other])
        for r in [admin, desk, other] {
            #expect(try !r.members().contains { $0.name == "penyusup" })
            #expect(try r.alerts().contains { $0.kind == "refused-enroll" })
        }
        #expect(Set(try [admin, desk, other].map { try $0.digest() }).count == 1)
    }

    @Test func aRevokedNodesLaterOperationsAreRefusedByEveryone() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let task = try staf.addTask(sop: "SERVER")
        try Exchange.meshUntilEqual([admin, staf, meja])
        try admin.revoke("staf")
        try Exchange.runs(from: admin, to: meja)
        let held = try meja.vector()[staf.origin]
        try staf.comment(task.hex, text: "setelah dicabut")
        for r in [admin, meja] {
            let report = try Exchange.runs(from: staf, to: r)
            #expect(report.revoked.count == 1 && report.appliedTotal == 0)
            #expect(try r.vector()[staf.origin] == held)
            #expect(try r.alerts().contains { $0.kind == "revoked" })
            #expect(try !r.authorize(node: staf.identity.node, publicKey: staf.identity.publicKey, court: r.identity.court).allowed)
        }
        #expect(try admin.members().first { $0.name == "staf" }?.revoked == true)
        #expect(try admin.digest() == meja.digest())
        code(.invalidInput) { try admin.revoke("staf") }
        code(.notFound) { try admin.revoke("nobody") }
    }

    /// A replica that received a node's operations before it learnt of the node's revocation
    /// drops those beyond what the admin kept, as the replicas that learnt of it first refused
    /// them: all end with the same operations and tables.
    @Test func operationsHeldBeforeARevocationArriveAreUndone() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        try Exchange.meshUntilEqual([admin, staf, meja])
        _ = try staf.addTask(sop: "SERVER", title: "ditulis sebelum pencabutan diketahui")
        try Exchange.runs(from: staf, to: meja)
        try admin.revoke("staf")
        _ = try? Exchange.meshUntilEqual([admin, meja], maxRounds: 2)
        let (vectors, digests) = (try (admin.vector(), meja.vector()), try (admin.digest(), meja.digest()))
        #expect(vectors.0 == vectors.1)
        #expect(digests.0 == digests.1)
    }

    /// A batch that carries both the revocation and the node's later operations refuses them,
    /// as a replica that got the two in separate batches does.
    @Test func aRevocationAndLaterOperationsInOneBatchAgree() throws {
        let admin = try sandbox.founder("kasubbag", role: .kasubbag)
        let staf = try sandbox.member("staf", role: .stafTI, invitedBy: admin)
        let meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: admin)
        let ketua = try sandbox.member("ketua", role: .ketua, invitedBy: admin)
        try Exchange.meshUntilEqual([admin, staf, meja, ketua])
        try admin.revoke("staf")
        _ = try staf.addTask(sop: "SERVER", title: "ditulis setelah pencabutan")
        // meja: the revocation first, then the node's operations.
        try Exchange.runs(from: admin, to: meja)
        try Exchange.runs(from: staf, to: meja)
        // ketua: both in one batch.
        var runs: [OperationRun] = []
        try admin.missingRuns(since: ketua.vector()) { runs.append($0) }
        try staf.missingRuns(since: ketua.vector()) { if $0.origin == staf.origin { runs.append($0) } }
        try ketua.apply(runs)
        let (mejaHolds, ketuaHolds) = (try meja.vector()[staf.origin], try ketua.vector()[staf.origin])
        #expect(mejaHolds == ketuaHolds)
    }
}
