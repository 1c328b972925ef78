import Foundation
import Hummingbird
import Replica

/// Kasubbag's overview: counts per SOP and per desk, weeks and step times as server-drawn SVG
/// charts, each list printable and downloadable as CSV.
extension WebApp {
    enum OverviewList: String, CaseIterable {
        case sop, desk, weeks, steps
    }

    func cachedOverview(_ r: Replica) throws -> Overview {
        let key = "\(try r.changeMark()) \(Int(r.courtDate.timeIntervalSince1970 / 60))"
        if let hit = overviewCache.withLock({ $0?.key == key ? $0?.overview : nil }) { return hit }
        let fresh = try r.overview()
        overviewCache.withLock { $0 = (key, fresh) }
        return fresh
    }

    func overviewPage(_ c: WebContext) throws -> Response {
        try admin(c) { r, node in
            let o = try cachedOverview(r)
            func csvLink(_ list: OverviewList) -> HTML { "<p class=\"tools\"><a href=\"/overview/\(list.rawValue).csv\" download>\(c.t(.downloadCSV))</a></p>" }
            let sopRows = o.perSOP.map { x -> HTML in
                let title = SOP.named(x.key)?.title ?? x.key
                return "<tr><td><strong>\(x.key)</strong> <small>\(title)</small></td><td class=\"num\">\(x.open)</td><td class=\"num late\">\(x.late)</td></tr>"
            }.joined()
            let deskRows = o.perDesk.map { x -> HTML in
                "<tr><td>\(Role(rawValue: x.key)?.title ?? x.key)</td><td class=\"num\">\(x.open)</td><td class=\"num late\">\(x.late)</td></tr>"
            }.joined()
            // A step is flagged when most of its runs missed their due time in the working calendar.
            let stepRows = o.stepTimes.map { x -> HTML in
                """
                <tr\(if: x.late * 2 > x.count, " class=\"overdue\"")><td>\(x.sop) \(x.step)</td><td>\(x.activity)</td>\
                <td class="num">\(String(format: "%.1f", x.averageMinutes))</td><td>\(x.standard)</td><td class="num">\(x.count)</td><td class="num late">\(x.late)</td></tr>
                """
            }.joined()
            let head: HTML = "<thead><tr><th></th><th>\(c.t(.statusOpen))</th><th>\(c.t(.late))</th></tr></thead>"
            let body: HTML = """
                <h1>\(c.t(.overview))</h1><p class="tools noprint"><a href="/overview" class="print-link" data-print>\(c.t(.printPage))</a></p>
                <div data-live id="overview">
                <section><h2>\(c.t(.openPerSOP))</h2>\(Charts.bars(o.perSOP.map { ($0.key, $0.open, $0.late) }, labels: (c.t(.statusOpen), c.t(.late))))
                <div class="table"><table>\(head)<tbody>\(sopRows)</tbody></table></div>\(csvLink(.sop))</section>
                <section><h2>\(c.t(.openPerDesk))</h2>\(Charts.bars(o.perDesk.map { ($0.key, $0.open, $0.late) }, labels: (c.t(.statusOpen), c.t(.late))))
                <div class="table"><table>\(head)<tbody>\(deskRows)</tbody></table></div>\(csvLink(.desk))</section>
                <section><h2>\(c.t(.perWeek))</h2>\(Charts.bars(o.weeks.map { (dates.day($0.weekStart, c.language), $0.opened, $0.closed) }, labels: (c.t(.opened), c.t(.closed))))\(csvLink(.weeks))</section>
                <section><h2>\(c.t(.stepTimes))</h2>\(Charts.bars(o.stepTimes.map { ("\($0.sop) \($0.step)", Int($0.averageMinutes.rounded()), $0.standardMinutes) }, labels: (c.t(.average), c.t(.standard))))
                <div class="table"><table><thead><tr><th>\(c.t(.step))</th><th></th><th>\(c.t(.average)) (\(c.t(.minutes)))</th><th>\(c.t(.standard))</th><th>\(c.t(.count))</th><th>\(c.t(.late))</th></tr></thead><tbody>\(stepRows)</tbody></table></div>\(csvLink(.steps))</section>
                </div>
                """
            return Pages.page(c, node, title: c.t(.overview), path: "/overview", body)
        }
    }

    func overviewCSV(_ name: String, _ c: WebContext) throws -> Response {
        guard name.hasSuffix(".csv"), let list = OverviewList(rawValue: String(name.dropLast(4))) else {
            throw ReplicaError(.notFound, "no list named \(name)", hint: "the overview links to sop.csv, desk.csv, weeks.csv and steps.csv")
        }
        return try admin(c) { r, _ in
            let o = try cachedOverview(r)
            var rows: [[String]]
            switch list {
            case .sop: rows = [["sop", "title", "open", "late"]] + o.perSOP.map { [$0.key, SOP.named($0.key)?.title ?? "", "\($0.open)", "\($0.late)"] }
            case .desk: rows = [["role", "open", "late"]] + o.perDesk.map { [$0.key, "\($0.open)", "\($0.late)"] }
            case .weeks:
                let f = ISO8601DateFormatter()
                f.formatOptions = [.withFullDate]
                f.timeZone = options.timeZone
                rows = [["week_start", "opened", "closed"]] + o.weeks.map { [f.string(from: $0.weekStart), "\($0.opened)", "\($0.closed)"] }
            case .steps:
                rows = [["sop", "step", "activity", "average_minutes", "standard", "count", "late"]]
                    + o.stepTimes.map { [$0.sop, "\($0.step)", $0.activity, String(format: "%.1f", $0.averageMinutes), $0.standard, "\($0.count)", "\($0.late)"] }
            }
            let text = rows.map { $0.map(CSV.cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"sinkron-\(list.rawValue).csv\""],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

enum CSV {
    /// Quotes a cell; a cell a spreadsheet would run as a formula is prefixed with an apostrophe.
    static func cell(_ s: String) -> String {
        var v = s
        if let first = v.first, "=+-@\t\r".contains(first), Double(v) == nil { v = "'" + v }
        guard v.contains(where: { ",\"\r\n".contains($0) }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Grouped bar charts drawn on the server (no script): two bars per group.
enum Charts {
    static func bars(_ data: [(label: String, a: Int, b: Int)], labels: (String, String)) -> HTML {
        guard !data.isEmpty else { return .empty }
        let top = max(1, data.map { max($0.a, $0.b) }.max() ?? 1)
        let group = 56
        let height = 160
        let width = max(300, data.count * group + 40)
        var parts: [HTML] = []
        for (i, d) in data.enumerated() {
            let x = 30 + i * group
            let ha = d.a * (height - 40) / top
            let hb = d.b * (height - 40) / top
            parts.append(
                """
                <g><title>\(d.label): \(labels.0) \(d.a), \(labels.1) \(d.b)</title>
                <rect class="bar-a" x="\(x)" y="\(height - 20 - ha)" width="20" height="\(ha)"/><rect class="bar-b" x="\(x + 22)" y="\(height - 20 - hb)" width="20" height="\(hb)"/>
                <text x="\(x + 21)" y="\(height - 6)" text-anchor="middle" class="axis">\(String(d.label.prefix(9)))</text>
                <text x="\(x + 10)" y="\(height - 24 - ha)" text-anchor="middle" class="val">\(d.a)</text><text x="\(x + 32)" y="\(height - 24 - hb)" text-anchor="middle" class="val">\(d.b)</text></g>
                """)
        }
        return """
            <figure class="chart"><svg viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" role="img" aria-label="\(labels.0) / \(labels.1)" xmlns="http://www.w3.org/2000/svg">
            <line class="base" x1="24" y1="\(height - 20)" x2="\(width - 4)" y2="\(height - 20)"/>\(parts.joined())</svg>
            <figcaption><span class="key-a">■</span> \(labels.0) <span class="key-b">■</span> \(labels.1)</figcaption></figure>
            """
    }
}
