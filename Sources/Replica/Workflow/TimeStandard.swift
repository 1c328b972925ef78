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
        let t = text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "–", with: "-")
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        if t.isEmpty || Self.noDeadline.contains(where: { t.hasPrefix($0) }) {
            limit = nil
            lower = nil
            return
        }
        let one = #"([0-9]{1,4}) ?(menit|jam|hari)( kerja)?"#
        if let m = t.wholeMatch(of: try Regex("^" + one + "$")) {
            limit = Self.amount(m.output[1].substring, m.output[2].substring)
            lower = nil
            if limit != nil { return }
        } else if let m = t.wholeMatch(of: try Regex(#"^([0-9]{1,4}) ?(menit|jam|hari)?( kerja)? ?- ?"# + one + "$")) {
            let upper = Self.amount(m.output[4].substring, m.output[5].substring)
            let low = Self.amount(m.output[1].substring, m.output[2].substring ?? m.output[5].substring)
            if let upper, let low {
                limit = upper
                lower = low
                return
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

    private static func amount(_ value: Substring?, _ unit: Substring?) -> Amount? {
        guard let value, let n = Int(value), n > 0, let unit else { return nil }
        switch unit {
        case "menit": return Amount(n, .minute)
        case "jam": return Amount(n, .hour)
        case "hari": return Amount(n, .day)
        default: return nil
        }
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
