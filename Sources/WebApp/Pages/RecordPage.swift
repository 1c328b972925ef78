import Foundation
import Hummingbird
import Replica

extension WebApp {
    func recordPage(_ id: String, _ c: WebContext, error: ReplicaError? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let (node, detail, history, role, letters, sop, calendar) = try replica.use { r in
            let detail = try r.show(id)
            // A record links a handful of letters at most (one per SOP step that writes one).
            let letters = try detail.letters.prefix(20).map { try r.show($0) }
            // The flow the record pinned, from the court's book in the replica (or the template).
            return (try NodeInfo(r), detail, try r.history(id), r.enrolledRole, letters, r.flow(detail.summary.sop), r.workingCalendar)
        }
        let s = detail.summary
        let kind = RecordKind(rawValue: s.kind) ?? .task
        let direction = detail.fields["direction"].flatMap { $0 }
        var parts: [HTML] = []
        parts.append(
            """
            <p class="crumbs"><a href="/records">\(c.t(.records))</a> › \(c.t(Strings.kind(s.kind, direction: direction)))</p>
            <h1>\(s.title) <code class="id">\(String(s.id.prefix(8)))</code></h1>
            <p class="meta">\(c.t(Strings.status(s.status))) · \(s.sop)\(sop.map { " — \($0.title)" } ?? "")\(c.language == .en ? (sop.map { " (\($0.gloss))" } ?? "") : "")
            · \(c.t(.created)) \(dates.format(s.createdAt, c.language)) \(c.t(.stepDoneBy)) \(s.author) (\(s.createdBy))</p>
            """)
        if let error { parts.append(Pages.errorBox(error, c)) }
        // Fields.
        let rows = kind.fields.compactMap { f -> HTML? in
            guard let value = detail.fields[f.name].flatMap({ $0 }) else { return nil }
            let shown: HTML = f == .forRecord ? "<a href=\"/r/\(value)\"><code>\(String(value.prefix(8)))</code></a>" : "\(value)"
            return "<tr><th scope=\"row\">\(c.t(Strings.field(f)))</th><td class=\"value\">\(shown)</td></tr>"
        }.joined()
        let conflictNote: HTML = detail.conflicts > 0 ? "<p class=\"warn\">\(detail.conflicts) \(c.t(.conflictCount)) — <a href=\"/admin/conflicts\">\(c.t(.conflicts))</a></p>" : .empty
        parts.append("<section data-live id=\"fields\"><h2>\(c.t(.fields))</h2><table class=\"fields\">\(rows)</table>\(conflictNote)</section>")
        // Step buttons for this desk's role; then the flow and the timing.
        parts.append(stepSection(s, sop: sop, role: role, c))
        // Flow diagram.
        if let sop {
            let diagram = FlowDiagram(sop: sop, current: s.step, status: s.status, steps: detail.steps, language: c.language, dates: dates).render()
            parts.append("<section data-live id=\"flow\"><h2>\(c.t(.flow))</h2><div class=\"flow-wrap\">\(diagram)</div></section>")
        }
        parts.append(timingSection(s, steps: detail.steps, sop: sop, calendar: calendar, c))
        // Letters.
        if !detail.letters.isEmpty {
            let items = letters.map { l -> HTML in
                let number = l.fields["number"].flatMap { $0 }
                return """
                    <li><a href="/r/\(l.summary.id)"><code>\(String(l.summary.id.prefix(8)))</code> \(l.summary.title)</a>
                    \(l.fields["recipient"].flatMap { $0 }.map { "→ \($0)" } ?? "") · \(number ?? "—") · \(c.t(Strings.status(l.summary.status)))</li>
                    """ as HTML
            }.joined()
            parts.append("<section data-live id=\"letters\"><h2>\(c.t(.letters))</h2><ul>\(items)</ul></section>")
        }
        // Comments.
        let comments = detail.comments.map { cm -> HTML in
            "<li><p class=\"who\">\(cm.author) (\(cm.node)) · \(dates.format(cm.at, c.language))</p><p class=\"text\">\(cm.text)</p></li>"
        }.joined()
        parts.append("<section data-live id=\"comments\"><h2>\(c.t(.comments))</h2><ul class=\"comments\">\(comments)</ul></section>")
        parts.append(actionForms(s, kind: kind, role: role, c))
        parts.append(historySection(history, c))
        return Pages.page(c, node, title: s.title.isEmpty ? s.id : s.title, path: "/r/\(s.id)", parts.joined(), status: status)
    }

    func stepSection(_ s: RecordSummary, sop: SOP?, role: Role, _ c: WebContext) -> HTML {
        guard s.status == "open", let n = s.step, let sop, let step = sop.step(n) else {
            return "<section id=\"step\"><h2>\(c.t(.stepButtons))</h2><p>\(c.t(.flowEnded))</p></section>"
        }
        let gloss: HTML = c.language == .en ? "<span class=\"gloss\">\(step.gloss)</span>" : .empty
        let head: HTML = "<h2>\(c.t(.currentStep)): \(n). \(step.activity)</h2>\(gloss)"
        guard step.actors.contains(role) else {
            return "<section id=\"step\" class=\"step-box\">\(head)<p>\(c.t(.notYourStep)) \(step.actors.map(\.title).joined(separator: ", ")).</p></section>"
        }
        let buttons: HTML
        if let d = step.decision {
            let q: HTML = c.language == .en ? "\(d.question) (\(d.gloss))" : "\(d.question)"
            buttons = """
                <p class="question">\(q)</p>
                <button type="submit" name="branch" value="ya">\(c.t(.answerYa))</button> <button type="submit" name="branch" value="tidak">\(c.t(.answerTidak))</button>
                """
        } else {
            buttons = "<button type=\"submit\">\(c.t(.doStep))</button>"
        }
        return """
            <section id="step" class="step-box mine">\(head)
            <form method="post" action="/r/\(s.id)/step">\(Pages.csrf(c))<input type="hidden" name="expected" value="\(n)">
            <label for="note">\(c.t(.stepNote)) <span class="opt">(\(c.t(.optional)))</span></label><textarea id="note" name="note" rows="2" maxlength="4000"></textarea>
            <div class="buttons">\(buttons)</div></form></section>
            """
    }

    /// The current step against its standard, and each done step against its own: due times come
    /// from the replica's working calendar, as `sinkron show` and `list --overdue` use them.
    func timingSection(_ s: RecordSummary, steps: [StepEntry], sop: SOP?, calendar: WorkingCalendar, _ c: WebContext) -> HTML {
        var items: [HTML] = []
        if let since = s.stepSince, let standard = s.timeStandard, s.status == "open" {
            let state: HTML = s.overdueMinutes.map { "<strong class=\"late\">\(c.t(.lateBy)) \(describeMinutes($0, c.language))</strong>" }
                ?? "<span class=\"ok\">\(c.t(.onTime))</span>"
            let due: HTML = s.due.map { " (\(c.t(.fieldDue)) \(dates.format($0, c.language)))" } ?? .empty
            items.append("<li>\(c.t(.currentStep)) \(s.step ?? 0) \(c.t(.since)) \(dates.format(since, c.language)); \(c.t(.standard)) \(standard)\(due): \(state)</li>")
        }
        var previous = s.createdAt
        for e in steps where e.status == "ok" {
            let spent = max(0, Int(e.at.timeIntervalSince(previous) / 60))
            let standard = sop?.step(e.step)?.time
            let late = standard.flatMap { calendar.due(from: previous, $0) }.map { e.at > $0 } ?? false
            let text = standard.map { $0.text.isEmpty ? "—" : $0.text } ?? "—"
            items.append("<li\(if: late, " class=\"overdue\"")>\(e.step). \(e.activity ?? ""): \(describeMinutes(spent, c.language)) / \(text)</li>")
            previous = e.at
        }
        for e in steps where e.status != "ok" {
            items.append("<li class=\"marked\">\(e.step). \(e.activity ?? "") — \(e.status): \(c.t(.stepNotMarked)) (\(e.author), \(e.role))</li>")
        }
        return "<section data-live id=\"timing\"><h2>\(c.t(.timing))</h2><ul class=\"timing\">\(items.joined())</ul></section>"
    }

    func actionForms(_ s: RecordSummary, kind: RecordKind, role: Role, _ c: WebContext) -> HTML {
        let editable = kind.fields.filter { $0 != .direction && $0 != .forRecord && ($0 != .number || role == .umumKeuangan) }
        let options = editable.map { f -> HTML in "<option value=\"\(f.name)\">\(c.t(Strings.field(f)))</option>" }.joined()
        var forms: [HTML] = [
            """
            <form method="post" action="/r/\(s.id)/comment" class="box">\(Pages.csrf(c))<h3><label for="comment-text">\(c.t(.addComment))</label></h3>
            <textarea id="comment-text" name="text" rows="3" maxlength="4000" required></textarea><button type="submit">\(c.t(.comment))</button></form>
            """,
            """
            <form method="post" action="/r/\(s.id)/edit" class="box">\(Pages.csrf(c))<h3>\(c.t(.editField))</h3>
            <label for="edit-field">\(c.t(.field))</label><select id="edit-field" name="field">\(options)</select>
            <label for="edit-value">\(c.t(.value))</label><input id="edit-value" name="value" maxlength="4000" required><button type="submit">\(c.t(.save))</button></form>
            """,
        ]
        if kind == .letter, role == .umumKeuangan {
            forms.append(
                """
                <form method="post" action="/r/\(s.id)/number" class="box">\(Pages.csrf(c))<h3>\(c.t(.numberLetter))</h3>
                <label for="number">\(c.t(.fieldNumber)) <span class="opt">(\(c.t(.optional)))</span></label><input id="number" name="number" maxlength="80" aria-describedby="number-hint">
                <p class="hint" id="number-hint">\(c.t(.numberHint))</p><button type="submit">\(c.t(.numberLetter))</button></form>
                """)
        }
        if s.status != "archived" {
            forms.append("<form method=\"post\" action=\"/r/\(s.id)/archive\" class=\"box\">\(Pages.csrf(c))<h3>\(c.t(.archive))</h3><button type=\"submit\" class=\"danger\">\(c.t(.archiveConfirm))</button></form>")
        }
        return "<section id=\"actions\" class=\"actions-grid\">\(forms.joined())</section>"
    }

    func historySection(_ history: [HistoryEntry], _ c: WebContext) -> HTML {
        let rows = history.map { h -> HTML in
            let outcome: HTML = {
                guard let o = h.outcome ?? h.stepStatus else { return .empty }
                let key: L? = ["won": .outcomeWon, "lost": .outcomeLost, "replaced": .outcomeReplaced, "refused": .outcomeRefused][o]
                let against: HTML = h.against.isEmpty ? .empty : " \(c.t(.against)) \(h.against.map { String($0.prefix(8)) + ":" + ($0.split(separator: ":").last.map(String.init) ?? "") }.joined(separator: ", "))"
                return "<span class=\"outcome \(o)\">\(key.map { c.t($0) } ?? o)</span>\(against)"
            }()
            let via: HTML = h.session.map { "<a href=\"/admin/merges/\($0)\">\(h.via)</a>" } ?? "\(c.t(.local))"
            return """
                <tr><td>\(dates.format(h.at, c.language))\(if: h.clockAhead, " ⚠")</td><td>\(h.author)<br><small>\(h.node) (\(h.role))</small></td>
                <td class="value">\(h.summary)</td><td>\(outcome)</td><td>\(via)<br><small><code>\(String(h.op.prefix(8))):\(h.op.split(separator: ":").last.map(String.init) ?? "")</code></small></td></tr>
                """
        }.joined()
        return """
            <section data-live id="history"><h2>\(c.t(.history))</h2><div class="table"><table><thead><tr><th>\(c.t(.historyWhen))</th><th>\(c.t(.historyWho))</th>
            <th>\(c.t(.historyWhat))</th><th>\(c.t(.historyOutcome))</th><th>\(c.t(.historyVia))</th></tr></thead><tbody>\(rows)</tbody></table></div></section>
            """
    }

    // MARK: Actions on a record

    func act(_ id: String, _ c: WebContext, _ body: (Replica, String) throws -> Void) throws -> Response {
        if let ask = needPerson(c, back: "/r/\(id)") { return ask }
        do {
            let hex = try replica.use { r -> String in
                let hex = try r.resolve(id).id.hex
                try body(r, hex)
                return hex
            }
            return Pages.redirect("/r/\(hex)")
        } catch let error as ReplicaError where error.code != .notFound && error.code != .ambiguous {
            return try recordPage(id, c, error: error, status: error.code == .notPermitted ? .forbidden : .badRequest)
        }
    }

    func doStep(_ id: String, _ c: WebContext) throws -> Response {
        try act(id, c) { r, hex in
            let branch: Branch? = c.form["branch"].flatMap { Branch(rawValue: $0) }
            if let raw = c.form["branch"], branch == nil {
                throw ReplicaError(.invalidInput, "\"\(raw)\" is not an answer", hint: "answer ya or tidak")
            }
            try r.completeStep(hex, branch: branch, note: c.form["note"], expectedStep: c.form["expected"].flatMap { Int($0) }, author: c.person ?? "")
        }
    }

    func addComment(_ id: String, _ c: WebContext) throws -> Response {
        try act(id, c) { r, hex in try r.comment(hex, text: c.form["text"] ?? "", author: c.person ?? "") }
    }

    func editField(_ id: String, _ c: WebContext) throws -> Response {
        try act(id, c) { r, hex in try r.setField(hex, field: c.form["field"] ?? "", value: c.form["value"] ?? "", author: c.person ?? "") }
    }

    func archive(_ id: String, _ c: WebContext) throws -> Response {
        try act(id, c) { r, hex in try r.archive(hex, author: c.person ?? "") }
    }

    func numberLetter(_ id: String, _ c: WebContext) throws -> Response {
        try act(id, c) { r, hex in
            let number = c.form["number"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            try r.numberLetter(hex, number: number, author: c.person ?? "")
        }
    }
}
