import Foundation

/// An SOP time standard (Mutu Baku "waktu"), kept as written ("15 menit", "1 hari kerja",
/// "relatif", "1 jam - 3hari") with what it means in working time.
///
/// "N menit" and "N jam" are working minutes and hours; "N hari" and "N hari kerja" are working
/// days (a government office counts days as working days). A range is due at its upper end.
/// Words that give no fixed time ("relatif", "situasional ...", "disesuaikan ...") and an empty
/// cell set no deadline: such a step is never overdue.
public struct TimeStandard: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable {
        case minute, hour, day
    }

    /// An amount of working time.
    public struct Amount: Sendable, Hashable, CustomStringConvertible {
        public let value: Int
        public let unit: Unit

        public init(_ value: Int, _ unit: Unit) {
            self.value = value
            self.unit = unit
        }

        /// Working minutes, for minutes and hours; nil for days (their length depends on the day).
        public var minutes: Int? {
            switch unit {
            case .minute: value
            case .hour: value * 60
            case .day: nil
            }
        }

        public var description: String {
            switch unit {
            case .minute: "\(value) min"
            case .hour: "\(value) h"
            case .day: "\(value) working day\(value == 1 ? "" : "s")"
            }
        }
    }

    /// The text as in the SOP.
    public let text: String
    /// The time the step may take (the upper end of a range); nil: no deadline.
    public let limit: Amount?
    /// The lower end of a range, if the standard is one.
    public let lower: Amount?

    /// Parses the seed's wording; throws when it is neither a time nor a known no-deadline phrase.
    public init(_ text: String) throws {
        self.text = text
        let t = text.lowercased().replacingOccurrences(of: "–", with: "-").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if t.isEmpty || Self.noDeadline.contains(where: { t.hasPrefix($0) }) {
            limit = nil
            lower = nil
            return
        }
        // "N unit[ kerja]", or a range "N[ unit][ kerja] - N unit[ kerja]" (the lower end's
        // unit defaults to the upper's).
        if let first = Self.term(t[...]) {
            if first.rest.isEmpty, let unit = first.unit, let amount = Self.amount(first.value, unit) {
                limit = amount
                lower = nil
                return
            }
            var rest = first.rest
            if rest.hasPrefix(" ") { rest = rest.dropFirst() }
            if rest.hasPrefix("-") {
                rest = rest.dropFirst()
                if rest.hasPrefix(" ") { rest = rest.dropFirst() }
                if let second = Self.term(rest), second.rest.isEmpty, let unit = second.unit, let upper = Self.amount(second.value, unit),
                    let low = Self.amount(first.value, first.unit ?? unit)
                {
                    limit = upper
                    lower = low
                    return
                }
            }
        }
        throw ReplicaError(
            .invalidInput, "\"\(text)\" is not an SOP time standard",
            hint: "write it as the SOP does: \"15 menit\", \"2 jam\", \"1 hari kerja\", a range such as \"1 jam - 3 hari\", or \"relatif\"")
    }

    /// A standard of whole minutes ("N menit").
    public static func minutes(_ n: Int) -> TimeStandard {
        TimeStandard(text: "\(n) menit", limit: Amount(n, .minute), lower: nil)
    }

    /// No time standard at all (an empty cell).
    public static let none = TimeStandard(text: "", limit: nil, lower: nil)

    private init(text: String, limit: Amount?, lower: Amount?) {
        self.text = text
        self.limit = limit
        self.lower = lower
    }

    /// Phrases that give no fixed time.
    static let noDeadline = ["relatif", "situasional", "disesuaikan", "tergantung"]

    private static func amount(_ n: Int, _ unit: Unit) -> Amount? { n > 0 ? Amount(n, unit) : nil }

    /// A term at the start of `s`: 1–4 digits, an optional space, the unit word (optional: a
    /// range's lower end may leave it out) and an optional " kerja"; and what follows it.
    private static func term(_ s: Substring) -> (value: Int, unit: Unit?, rest: Substring)? {
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard (1...4).contains(digits.count), let value = Int(digits) else { return nil }
        var rest = s.dropFirst(digits.count)
        let afterSpace = rest.hasPrefix(" ") ? rest.dropFirst() : rest
        var unit: Unit?
        for (word, u) in [("menit", Unit.minute), ("jam", .hour), ("hari", .day)] where afterSpace.hasPrefix(word) {
            unit = u
            rest = afterSpace.dropFirst(word.count)
            if rest.hasPrefix(" kerja") { rest = rest.dropFirst(" kerja".count) }
        }
        return (value, unit, rest)
    }

    /// True when the standard sets a deadline.
    public var hasDeadline: Bool { limit != nil }

    /// What the standard means, in English: "15 min", "1 working day", "no deadline".
    public var meaning: String {
        guard let limit else { return text.isEmpty ? "no time standard" : "no deadline" }
        return lower.map { "\($0) to \(limit), due at the upper end" } ?? "\(limit)"
    }

    public var description: String { text.isEmpty ? "(none)" : text }
}
