import Foundation
import Replica

/// The SOP flow of a record drawn as SVG on the server: one box per step with who acts, arrows
/// for the flow and both answers of a decision, the current step highlighted, and beside each
/// done step who did it, when, the answer and the note. No script needed.
struct FlowDiagram {
    let sop: SOP
    let current: Int?
    let status: String
    let steps: [StepEntry]
    let language: Language
    let dates: CourtDates

    static let boxWidth = 330
    static let boxHeight = 58
    static let gap = 30
    static let left = 8
    static let width = 900

    func render() -> HTML {
        let order = sop.steps.map(\.number)
        let row = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let done = Dictionary(grouping: steps.filter { $0.status == "ok" }, by: \.step)
        let height = order.count * (Self.boxHeight + Self.gap) + 10
        var parts: [HTML] = []
        var lane = 0
        for step in sop.steps {
            let y = top(row[step.number]!)
            let isCurrent = status == "open" && current == step.number
            let doneHere = done[step.number] ?? []
            let cls = isCurrent ? "step current" : doneHere.isEmpty ? "step" : "step done"
            let lines = wrap(step.activity, 46, lines: 2)
            let gloss = language == .en ? step.gloss : ""
            let roles = step.actors.map(\.rawValue).joined(separator: ", ")
            var text: [HTML] = ["<text x=\"\(Self.left + 10)\" y=\"\(y + 16)\" class=\"num\">\(step.number). \(roles) · \(step.time.text.isEmpty ? "—" : step.time.text)</text>"]
            for (i, line) in lines.enumerated() {
                text.append("<text x=\"\(Self.left + 10)\" y=\"\(y + 32 + i * 14)\">\(line)</text>")
            }
            parts.append(
                """
                <g class="\(cls)"\(if: isCurrent, " aria-current=\"step\"")><title>\(step.number). \(step.activity)\(gloss.isEmpty ? "" : " — \(gloss)")</title>
                <rect x="\(Self.left)" y="\(y)" width="\(Self.boxWidth)" height="\(Self.boxHeight)" rx="6"/>\(text.joined())</g>
                """)
            // What was done here.
            for (i, e) in doneHere.suffix(2).enumerated() {
                let answer = e.branch.map { " → \($0)" } ?? ""
                let who = "\(e.author) (\(e.role)) · \(dates.format(e.at, language))\(answer)"
                parts.append("<text x=\"\(Self.left + Self.boxWidth + 130)\" y=\"\(y + 18 + i * 28)\" class=\"who\">\(who)</text>")
                if !e.note.isEmpty {
                    parts.append("<text x=\"\(Self.left + Self.boxWidth + 130)\" y=\"\(y + 32 + i * 28)\" class=\"note\">\(wrap(e.note, 60, lines: 1).first ?? "")</text>")
                }
            }
            // Arrows.
            var targets: [(Int?, String)] = []
            if let d = step.decision {
                targets = [(d.ya, language == .id ? "ya" : "yes"), (d.tidak, language == .id ? "tidak" : "no")]
            } else {
                targets = [(step.next, "")]
            }
            for (target, label) in targets {
                guard let target, let to = row[target] else {
                    if !label.isEmpty {
                        parts.append("<text x=\"\(Self.left + Self.boxWidth + 8)\" y=\"\(y + Self.boxHeight - 4)\" class=\"branch\">\(label): \(language == .id ? "selesai" : "end")</text>")
                    }
                    continue
                }
                let from = row[step.number]!
                if to == from + 1 {
                    let x = Self.left + Self.boxWidth / 2
                    let y1 = y + Self.boxHeight
                    let y2 = top(to)
                    parts.append("<line class=\"arrow\" x1=\"\(x)\" y1=\"\(y1)\" x2=\"\(x)\" y2=\"\(y2 - 2)\" marker-end=\"url(#head)\"/>")
                    if !label.isEmpty { parts.append("<text x=\"\(x + 6)\" y=\"\(y1 + 18)\" class=\"branch\">\(label)</text>") }
                } else {
                    lane = lane % 4 + 1
                    let x1 = Self.left + Self.boxWidth
                    let xo = x1 + 14 + lane * 22
                    let y1 = y + Self.boxHeight / 2
                    let y2 = top(to) + Self.boxHeight / 2
                    parts.append("<path class=\"arrow\" d=\"M\(x1) \(y1) H\(xo) V\(y2) H\(x1 + 2)\" fill=\"none\" marker-end=\"url(#head)\"/>")
                    if !label.isEmpty { parts.append("<text x=\"\(x1 + 4)\" y=\"\(y1 - 4)\" class=\"branch\">\(label) → \(target)</text>") }
                }
            }
        }
        return """
            <svg class="flow" viewBox="0 0 \(Self.width) \(height)" width="100%" role="img" aria-label="\(sop.code): \(sop.title)" xmlns="http://www.w3.org/2000/svg">
            <defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z"/></marker></defs>
            \(parts.joined())</svg>
            """
    }

    func top(_ row: Int) -> Int { 4 + row * (Self.boxHeight + Self.gap) }

    /// Splits text into at most `lines` lines of about `width` characters (an ellipsis marks a cut).
    func wrap(_ text: String, _ width: Int, lines: Int) -> [String] {
        var out: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width, !line.isEmpty {
                out.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { out.append(line) }
        guard out.count > lines else { return out }
        var kept = Array(out.prefix(lines))
        kept[lines - 1] = String(kept[lines - 1].prefix(width - 1)) + "…"
        return kept
    }
}
