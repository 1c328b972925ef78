extension Database {
    /// Every step event of a record as the fold sees it, with the status each has stored.
    func stepEvents(record hex: String) throws -> (events: [StepEvent], stored: [OpID: String]) {
        var stored: [OpID: String] = [:]
        let events = try cached("SELECT origin, seq, hlc, step, branch, role, status FROM steps WHERE record = ?").bind(.text(hex)).map { r in
            let op = OpID(origin: ID128(hex: r.text(0)) ?? ID128(high: 0, low: 0), seq: UInt64(r.int(1)))
            stored[op] = r.text(6)
            return StepEvent(
                op: op, hlc: HLC(raw: UInt64(r.int(2))), step: Int(r.int(3)), branch: r.optionalText(4).flatMap(Branch.init(rawValue:)),
                role: Role(rawValue: r.text(5)) ?? .userSipp)
        }
        return (events, stored)
    }
}
