import Foundation
import Replica

enum Output {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    static func json<T: Encodable>(_ value: T) {
        guard let data = try? encoder.encode(value) else { return }
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func line(_ text: String = "") {
        print(text)
    }

    /// A diagnostic for the person at the terminal, on stderr (stdout stays data).
    static func note(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }

    static func error(code: String, message: String, hint: String?, json: Bool) {
        if json {
            struct Body: Encodable {
                var code: String
                var message: String
                var hint: String?
            }
            struct Wrapper: Encodable { var error: Body }
            Self.json(Wrapper(error: Body(code: code, message: message, hint: hint)))
        }
        var text = "error: \(message)\n"
        if let hint { text += "  hint: \(hint)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    static let timeFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f
    }()

    static func time(_ date: Date?) -> String { date.map { timeFormatter.string(from: $0) } ?? "-" }

    static func duration(minutes: Int) -> String {
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 24 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / (24 * 60)) d \(minutes % (24 * 60) / 60) h"
    }

    /// Prints rows as aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        print(render(header))
        for row in rows { print(render(row)) }
    }

    static func truncate(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
}
