import Foundation

/// Checks on what users type, with messages that say what a valid value looks like.
public enum Validation {
    /// `{sequence}/{case type}/{year}/PN {court}`, e.g. `123/Pdt.G/2026/PN Bls`,
    /// `3/Pid.Sus-Anak/2024/PN Bls`, `12/Pdt.Sus-PHI/2024/PN Pbr`, `45/Pid.B/2023/PN Jkt.Pst`.
    /// Validates the shape, not a closed list of case types: `Pdt` or `Pid`, then one to three
    /// `.Part`s, each with up to two `-Suffix`es (`.G.S`, `.Sus-Anak`, `.Sus-PHI`); the court is
    /// up to four capitalised words, each possibly dotted (`Jkt.Pst`, `Niaga Jkt.Pst`).
    public static func caseNumber(_ raw: String) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let part = #"\.[A-Za-z]{1,10}(-[A-Za-z]{1,12}){0,2}"#
        let word = #"[A-Z][A-Za-z]{1,20}(\.[A-Z][A-Za-z]{1,20}){0,2}"#
        let pattern = #"^[1-9][0-9]{0,5}/P(dt|id)(\#(part)){1,3}/(19|20)[0-9]{2}/PN \#(word)( \#(word)){0,3}$"#
        guard value.range(of: pattern, options: .regularExpression) != nil else {
            throw ReplicaError(
                .invalidInput, "\"\(raw)\" is not a district-court case number",
                hint: "write {sequence}/{case type}/{year}/PN {court}, e.g. 123/Pdt.G/2026/PN Bls or 88/Pid.B/2026/PN Bls")
        }
        return value
    }

    static let romanMonths = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]

    /// `{sequence}/{issuer}.{court code}/{classification}/{month in Roman numerals}/{year}`,
    /// e.g. `123/KPN.W4-U2/HK2.6/XI/2026` or `1/KPN.W4-U2/SOP.PTIP/OT1.2/I/2024`.
    public static func letterNumber(_ raw: String) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let pattern = #"^[1-9][0-9]{0,5}/[A-Z][A-Za-z]{0,9}\.[A-Z0-9][A-Za-z0-9-]{0,15}/[A-Za-z0-9.]{1,20}(/[A-Za-z0-9.]{1,20})?/(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)/(19|20)[0-9]{2}$"#
        guard value.range(of: pattern, options: .regularExpression) != nil else {
            throw ReplicaError(
                .invalidInput, "\"\(raw)\" is not a letter number",
                hint: "write {sequence}/{issuer}.{court code}/{classification}/{month in Roman numerals}/{year}, e.g. 123/KPN.W4-U2/HK2.6/XI/2026")
        }
        return value
    }

    /// A free-text value: trimmed, not empty when required, bounded, no control characters but newlines.
    public static func text(_ raw: String?, _ name: String, required: Bool = true, limit: Int = 200) throws -> String? {
        guard let raw else {
            if required { throw ReplicaError(.invalidInput, "\(name) is missing", hint: "pass --\(name.replacingOccurrences(of: "_", with: "-")) TEXT") }
            return nil
        }
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty {
            if required { throw ReplicaError(.invalidInput, "\(name) is empty", hint: "give a \(name.replacingOccurrences(of: "_", with: " "))") }
            return nil
        }
        guard value.utf8.count <= limit else {
            throw ReplicaError(.invalidInput, "\(name) is \(value.utf8.count) bytes long; at most \(limit) are allowed", hint: "shorten it")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw ReplicaError(.invalidInput, "\(name) contains control characters", hint: "type plain text")
        }
        return value
    }

    /// A due time: `YYYY-MM-DD` (end of that day) or `YYYY-MM-DDTHH:MM`, local time. Stored as ISO 8601.
    public static func due(_ raw: String) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespaces)
        guard parseDue(value) != nil else {
            throw ReplicaError(.invalidInput, "\"\(raw)\" is not a due time", hint: "write 2026-11-30 or 2026-11-30T16:00")
        }
        return value
    }

    /// A due time as the court's wall clock reads it (`zone`: the court's; this PC's if not given).
    public static func parseDue(_ value: String, in zone: TimeZone = .current) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm"] {
            formatter.dateFormat = format
            if let d = formatter.date(from: value) { return d }
        }
        formatter.dateFormat = "yyyy-MM-dd"
        if let d = formatter.date(from: value) { return d.addingTimeInterval(24 * 3600 - 1) }
        return nil
    }
}
