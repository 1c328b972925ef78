import Foundation

/// One revision of a flow in the court's book, as `sop history` and `sop book` show it.
public struct FlowBookEntry: Sendable, Codable, Equatable {
    public var code: String
    public var version: Int
    /// adopted (version 1), revised, or retired.
    public var action: String
    public var at: Date
    public var by: String
    public var op: String
    /// The SOP number of this revision's source (`1/KPN.W4-U2/SOP.PTIP/OT1.2/I/2025`), if any.
    public var number: String?
    public var title: String?
    public var steps: Int
}

/// The court's SOP book: flow revisions the admin publishes as signed operations. A record made
/// while its flow is in the book pins that version; the fold reads it from here.
extension Replica {
    /// The flow a record's `sop` names (see `FlowPin`).
    public func flow(_ pin: String) -> SOP? { db.flow(pin) }

    /// Every revision of one flow, oldest first.
    public func flowHistory(_ code: String) throws -> [FlowBookEntry] {
        let code = code.uppercased()
        return try db.flowRevisions(code).map { r in
            let sop = r.definition.isEmpty ? nil : try? FlowBook.sop(from: r.definition)
            return FlowBookEntry(
                code: code, version: r.version, action: r.definition.isEmpty ? "retired" : r.version == 1 ? "adopted" : "revised",
                at: date(hlc: Int64(r.hlc)), by: r.author, op: r.op, number: sop?.references.first?.number, title: sop?.title, steps: sop?.steps.count ?? 0)
        }
    }

    /// The latest revision of every flow in the book.
    public func book() throws -> [FlowBookEntry] {
        let codes = try db.prepare("SELECT DISTINCT code FROM sop_flows ORDER BY code").map { $0.text(0) }
        return try codes.compactMap { try flowHistory($0).last }
    }

    /// The version a new record of `code` pins, and its flow: nil when the court has not adopted
    /// the flow (the record follows the shipped template). Throws when the court retired it.
    func currentFlow(_ code: String) throws -> (version: Int, sop: SOP)? {
        guard let last = try db.flowRevisions(code.uppercased()).last else { return nil }
        guard !last.definition.isEmpty else {
            throw ReplicaError(.invalidInput, "SOP \(code.uppercased()) was retired from the court's book (version \(last.version))", hint: "`sinkron sop history \(code.uppercased())` shows its revisions")
        }
        return (last.version, try FlowBook.sop(from: last.definition))
    }

    /// Refuses court data from any node but the admin's.
    func requireAdmin(_ what: String) throws {
        guard isAdmin else {
            throw ReplicaError(.notPermitted, "only the court admin \(what)", hint: "run it on the admin's node; the change reaches the desks at their next sync")
        }
    }

    /// Adopts shipped templates into the court's book as version 1 (codes already there are left).
    @discardableResult
    public func adoptFlows(_ codes: [String], author: String = "") throws -> [FlowBookEntry] {
        try requireAdmin("adopts SOP flows")
        var bodies: [OperationBody] = []
        for code in codes {
            guard let sop = SOP.named(code) else {
                throw ReplicaError(.notFound, "no shipped template has the code \(code)", hint: "`sinkron sop list` shows the codes")
            }
            guard !sop.tableMissing else {
                throw ReplicaError(.invalidInput, "\(sop.code) has no table in its book", hint: "write one and publish it with `sinkron sop revise \(sop.code) --file FLOW.json`")
            }
            guard try db.flowRevisions(sop.code).isEmpty else { continue }
            bodies.append(.flow(FlowRevision(code: sop.code, version: 1, definition: sop.definition())))
        }
        guard !bodies.isEmpty else { return [] }
        try commit(author: author, bodies)
        return try bodies.compactMap { if case .flow(let f) = $0 { try flowHistory(f.code).last } else { nil } }
    }

    /// Publishes a new version of a flow from an edited definition (one flow object of the template
    /// format, e.g. from `sop export`), checked as the template file is.
    @discardableResult
    public func reviseFlow(_ code: String, definition: String, author: String = "") throws -> FlowBookEntry {
        try requireAdmin("revises SOP flows")
        let code = code.uppercased()
        let sop = try FlowBook.sop(from: definition)
        guard sop.code == code else {
            throw ReplicaError(.invalidInput, "the file holds SOP \(sop.code), not \(code)", hint: "revise \(sop.code), or fix the code in the file")
        }
        let version = (try db.flowRevisions(code).last?.version ?? 0) + 1
        try commit(author: author, [.flow(FlowRevision(code: code, version: version, definition: sop.definition()))])
        return try flowHistory(code).last!
    }

    /// Retires a flow: no new record can start it; open records keep their version.
    @discardableResult
    public func retireFlow(_ code: String, author: String = "") throws -> FlowBookEntry {
        try requireAdmin("retires SOP flows")
        let code = code.uppercased()
        guard let last = try db.flowRevisions(code).last, !last.definition.isEmpty else {
            throw ReplicaError(.invalidInput, "SOP \(code) is not in the court's book", hint: "`sinkron sop book` lists the flows the court adopted")
        }
        try commit(author: author, [.flow(FlowRevision(code: code, version: last.version + 1, definition: ""))])
        return try flowHistory(code).last!
    }
}
