import Logging

/// Counts connections that were refused or never finished the handshake, and says so in at most
/// one log line per interval: a flood of strangers costs a counter, not a line (or a replica row)
/// each. The first refusal after a quiet interval is logged at once, with its reason.
struct RefusalLog {
    let interval: UInt64
    /// What is counted: "connection" or "beacon".
    let noun: String
    let verb: String
    /// Since the daemon started, by code (busy, timeout, malformed-frame, not-authorized, ...).
    private(set) var totals: [String: Int] = [:]
    private var sinceLine: [String: Int] = [:]
    private var lastLine: UInt64?
    private var last: (address: String, why: String)?

    init(interval: UInt64, noun: String = "connection", verb: String = "refused") {
        self.interval = interval
        self.noun = noun
        self.verb = verb
    }

    var total: Int { totals.values.reduce(0, +) }

    mutating func count(_ code: String, from address: String, why: String, now: UInt64, logger: Logger) {
        totals[code, default: 0] += 1
        sinceLine[code, default: 0] += 1
        last = (address, why)
        flush(now: now, logger: logger)
    }

    /// Logs what was counted since the last line, if the interval has passed.
    mutating func flush(now: UInt64, logger: Logger) {
        guard !sinceLine.isEmpty, lastLine.map({ now >= $0 + interval }) ?? true else { return }
        let count = sinceLine.values.reduce(0, +)
        let codes = sinceLine.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        var line = count == 1 ? "\(verb) a \(noun) (\(codes))" : "\(verb) \(count) \(noun)s (\(codes))"
        if lastLine != nil, count > 1 { line += " in the last \(interval / 1000) s" }
        if let last { line += "; last from \(last.address): \(last.why)" }
        logger.warning("\(line)")
        lastLine = now
        sinceLine.removeAll()
    }
}
