import Foundation
import Hummingbird
import Replica

/// The lists a desk works from.
enum RecordView: String, CaseIterable {
    case waiting, mine, late, all

    var label: L {
        switch self {
        case .waiting: .waitingForMe
        case .mine: .myOpen
        case .late: .late
        case .all: .all
        }
    }

    func query(_ node: NodeInfo) -> RecordQuery {
        switch self {
        case .waiting: RecordQuery(waitingFor: node.role)
        case .mine: RecordQuery(openOnly: true, createdBy: node.name)
        case .late: RecordQuery(lateOnly: true)
        case .all: RecordQuery()
        }
    }
}

extension WebApp {
    static let pageSize = 50
    static let homeRows = 10
    /// Lists count their records exactly up to here, then say "N+" (counting costs a scan).
    static let homeCountLimit = 1_000
    static let listCountLimit = 10_000

    func home(_ c: WebContext) throws -> Response {
        let (node, lists) = try replica.use { r -> (NodeInfo, [(RecordView, RecordPage)]) in
            let node = try NodeInfo(r)
            let lists = try [RecordView.waiting, .mine, .late].map { ($0, try r.records($0.query(node), limit: Self.homeRows, countLimit: Self.homeCountLimit)) }
            return (node, lists)
        }
        var sections: [HTML] = [searchForm(c, query: "")]
        for (view, page) in lists {
            let total = "\(page.total)\(page.totalIsLowerBound ? "+" : "")"
            let more: HTML = page.total > page.records.count ? "<p><a href=\"/records?view=\(view.rawValue)\">\(c.t(.showAll)) (\(total))</a></p>" : .empty
            sections.append("<section data-live id=\"home-\(view.rawValue)\"><h2>\(c.t(view.label)) <span class=\"count\">\(total)</span></h2>\(recordTable(page.records, c))\(more)</section>")
        }
        return Pages.page(c, node, title: c.t(.home), path: "/", sections.joined())
    }

    func searchForm(_ c: WebContext, query: String) -> HTML {
        """
        <form method="get" action="/records" class="search" role="search"><label for="q">\(c.t(.search))</label>
        <input id="q" name="q" type="search" value="\(query)" placeholder="\(c.t(.searchPlaceholder))"><button type="submit">\(c.t(.search))</button></form>
        """
    }

    func recordList(_ request: Request, _ c: WebContext) throws -> Response {
        let view = request.query("view").flatMap(RecordView.init) ?? .all
        let search = request.query("q") ?? ""
        let kind = request.query("kind").flatMap(RecordKind.init)
        let pageNumber = max(1, min(Int(request.query("page") ?? "") ?? 1, 1_000_000))
        let (node, page) = try replica.use { r -> (NodeInfo, RecordPage) in
            let node = try NodeInfo(r)
            var query = view.query(node)
            query.search = search
            query.kind = kind
            return (node, try r.records(query, offset: (pageNumber - 1) * Self.pageSize, limit: Self.pageSize, countLimit: Self.listCountLimit))
        }
        let pages = max(1, (page.total + Self.pageSize - 1) / Self.pageSize)
        let tabs = RecordView.allCases.map { v -> HTML in
            "<a href=\"/records?view=\(v.rawValue)\"\(if: v == view, " aria-current=\"page\"")>\(c.t(v.label))</a>"
        }.joined()
        func link(_ n: Int) -> String {
            "/records?view=\(view.rawValue)&page=\(n)" + (search.isEmpty ? "" : "&q=\(urlEncode(search))") + (kind.map { "&kind=\($0.rawValue)" } ?? "")
        }
        let pager: HTML = """
            <nav class="pager" aria-label="\(c.t(.page))">\(pageNumber > 1 ? "<a rel=\"prev\" href=\"\(link(pageNumber - 1))\">\(c.t(.previous))</a>" as HTML : .empty)
            <span>\(c.t(.page)) \(pageNumber) \(c.t(.of)) \(pages)\(page.totalIsLowerBound ? "+" : "") · \(page.total)\(page.totalIsLowerBound ? "+" : "") \(c.t(.totalRecords))</span>
            \(pageNumber < pages || page.totalIsLowerBound ? "<a rel=\"next\" href=\"\(link(pageNumber + 1))\">\(c.t(.next))</a>" as HTML : .empty)</nav>
            """
        let body: HTML = """
            <h1>\(c.t(view.label))</h1><nav class="tabs">\(tabs)</nav>\(searchForm(c, query: search))
            <section data-live id="list">\(recordTable(page.records, c))\(pager)</section>
            """
        return Pages.page(c, node, title: c.t(view.label), path: "/records", body)
    }

    func recordTable(_ records: [RecordSummary], _ c: WebContext) -> HTML {
        guard !records.isEmpty else { return "<p class=\"empty\">\(c.t(.noRecords))</p>" }
        let rows = records.map { s -> HTML in
            // SOP texts stay in Indonesian; English pages add the SOP book's gloss.
            let gloss: HTML = c.language == .en ? (s.stepGloss.map { "<br><small class=\"gloss\">\($0)</small>" } ?? .empty) : .empty
            let step: HTML = s.step.map { n in "\(n). \(s.stepActivity ?? "")\(gloss)" } ?? .empty
            let late: HTML = s.overdueMinutes.map { "<span class=\"late\">\(describeMinutes($0, c.language))</span>" } ?? .empty
            return """
                <tr\(if: s.overdue, " class=\"overdue\"")><td><a href="/r/\(s.id)"><code>\(String(s.id.prefix(8)))</code></a></td>
                <td>\(c.t(Strings.kind(s.kind)))</td><td><a href="/r/\(s.id)">\(s.title)</a></td><td>\(c.t(Strings.status(s.status)))</td>
                <td class="activity">\(step)</td><td>\(s.nextRoles.joined(separator: ", "))</td><td>\(late)</td><td>\(dates.format(s.updatedAt, c.language))</td></tr>
                """
        }.joined()
        return """
            <div class="table"><table><thead><tr><th>ID</th><th>\(c.t(.kind))</th><th>\(c.t(.title))</th><th>\(c.t(.status))</th><th>\(c.t(.step))</th>
            <th>\(c.t(.nextRoles))</th><th>\(c.t(.lateBy))</th><th>\(c.t(.updated))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
    }

    func newMenu(_ c: WebContext) throws -> Response {
        let node = try replica.use { try NodeInfo($0) }
        let items = RecordForm.allCases.map { f -> HTML in "<li><a href=\"/new/\(f.rawValue)\">\(c.t(f.title))</a></li>" }.joined()
        return Pages.page(c, node, title: c.t(.newRecord), path: "/new", "<h1>\(c.t(.newRecord))</h1><ul class=\"menu\">\(items)</ul>")
    }
}
