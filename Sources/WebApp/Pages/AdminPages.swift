import Foundation
import Hummingbird
import Replica

extension WebApp {
    /// Runs `body` for an admin page, or refuses with 403 on other desks.
    func admin(_ c: WebContext, _ body: (Replica, NodeInfo) throws -> Response) throws -> Response {
        try replica.use { r in
            let node = try NodeInfo(r)
            guard node.mayAdminister else {
                return Pages.page(c, node, title: c.t(.notAllowed), path: "/admin", "<h1>\(c.t(.notAllowed))</h1><p>\(c.t(.adminOnly))</p>", status: .forbidden)
            }
            return try body(r, node)
        }
    }

    static let adminPages: [(String, L)] = [
        ("/admin/merges", .merges), ("/admin/conflicts", .conflicts), ("/admin/alerts", .alerts), ("/admin/members", .members),
        ("/admin/peers", .peers), ("/admin/verify", .verify),
    ]

    func adminNav(_ c: WebContext, _ path: String) -> HTML {
        let links = Self.adminPages.map { href, key -> HTML in
            "<a href=\"\(href)\"\(if: path.hasPrefix(href), " aria-current=\"page\"")>\(c.t(key))</a>"
        }.joined()
        return "<nav class=\"tabs\" aria-label=\"\(c.t(.admin))\">\(links)</nav>"
    }

    func adminIndex(_ c: WebContext) throws -> Response {
        try admin(c) { _, node in
            Pages.page(c, node, title: c.t(.admin), path: "/admin", "<h1>\(c.t(.admin))</h1>\(adminNav(c, "/admin"))")
        }
    }

    // MARK: Merge history

    func mergesPage(_ request: Request, _ c: WebContext) throws -> Response {
        try admin(c) { r, node in
            let sessions = try r.sessions(limit: 200)
            let items = sessions.map { s -> HTML in
                let peer = s.peer ?? s.kind
                let outcome = s.outcome ?? "—"
                let duration = s.endedAt.map { String(format: "%.2f s", $0.timeIntervalSince(s.startedAt)) } ?? "—"
                // Per origin: what came in and what went out, as "meja-satu ↓3 ↑1".
                let traffic = s.traffic.prefix(6).map { t -> HTML in
                    "<span class=\"origin\">\(t.node)\(if: t.received > 0, " ↓\(t.received)")\(if: t.sent > 0, " ↑\(t.sent)")</span> "
                }.joined()
                return """
                    <li class="session \(outcome == "ok" ? "ok" : "bad")"><a href="/admin/merges/\(s.id)"><strong>#\(s.id) \(peer)</strong></a>
                    <span>\(s.address ?? "")</span> · <time>\(dates.format(s.startedAt, c.language))</time> · \(c.t(.received)) \(s.received) · \(c.t(.sent)) \(s.sent)
                    · \(c.t(.conflicts)) \(s.conflicts) · \(bytes(s.bytesIn)) / \(bytes(s.bytesOut)) · \(duration) · <span class="outcome">\(outcome)</span>\
                    \(if: !s.traffic.isEmpty, "<br><span class=\"traffic\">\(c.t(.perOrigin)): \(traffic)</span>")</li>
                    """
            }.joined()
            let list: HTML = sessions.isEmpty ? "<p class=\"empty\">\(c.t(.noSessions))</p>" : "<ol class=\"timeline\">\(items)</ol>"
            return Pages.page(c, node, title: c.t(.merges), path: "/admin/merges", "<h1>\(c.t(.merges))</h1>\(adminNav(c, "/admin/merges"))<section data-live id=\"merges\">\(list)</section>")
        }
    }

    func sessionPage(_ id: Int64, _ c: WebContext) throws -> Response {
        try admin(c) { r, node in
            guard let s = try r.session(id) else { throw ReplicaError(.notFound, "no merge session #\(id) on this replica") }
            let origins = s.traffic.map { o -> HTML in
                "<tr><td>\(o.node) <code>\(String(o.origin.prefix(8)))</code></td><td class=\"num\">\(o.received)</td><td class=\"num\">\(o.sent)</td></tr>"
            }.joined()
            let rows: [(L, String)] = [
                (.peer, s.peer ?? "—"), (.address, s.address ?? "—"), (.when, dates.format(s.startedAt, c.language)),
                (.duration, s.endedAt.map { String(format: "%.2f s", $0.timeIntervalSince(s.startedAt)) } ?? "—"),
                (.received, String(s.received)), (.sent, String(s.sent)), (.conflicts, String(s.conflicts)),
                (.bytes, "\(bytes(s.bytesIn)) / \(bytes(s.bytesOut))"), (.outcome, s.outcome ?? "—"),
            ]
            let table = rows.map { k, v -> HTML in "<tr><th scope=\"row\">\(c.t(k))</th><td>\(v)</td></tr>" }.joined()
            let body: HTML = """
                <h1>\(c.t(.session)) #\(s.id) · \(s.kind)</h1>\(adminNav(c, "/admin/merges"))<table class="fields">\(table)</table>
                <h2>\(c.t(.perOrigin))</h2><table class="traffic"><thead><tr><th>\(c.t(.node))</th><th class="num">\(c.t(.received))</th><th class="num">\(c.t(.sent))</th></tr></thead><tbody>\(origins)</tbody></table>
                \(s.detail.map { "<details class=\"detail\"><summary>\(c.t(.technicalDetail))</summary><pre>\($0)</pre></details>" as HTML } ?? .empty)
                """
            return Pages.page(c, node, title: "\(c.t(.session)) #\(s.id)", path: "/admin/merges", body)
        }
    }

    // MARK: Conflicts

    func conflictsPage(_ c: WebContext, error: ReplicaError?) throws -> Response {
        try admin(c) { r, node in
            let conflicts = try r.conflicts()
            let items = try conflicts.map { x -> HTML in
                let settled = try r.isSettled(x)
                let field = Field(name: x.field).map { c.t(Strings.field($0)) } ?? x.field
                func side(_ label: L, _ op: String, _ value: String, _ who: String, _ at: Date) -> HTML {
                    let keep: HTML = settled ? .empty : """
                        <form method="post" action="/admin/conflicts/resolve">\(Pages.csrf(c))<input type="hidden" name="record" value="\(x.record)">
                        <input type="hidden" name="field" value="\(x.field)"><input type="hidden" name="keep" value="\(op)"><button type="submit">\(c.t(.keepThis))</button></form>
                        """
                    return "<div class=\"side\"><h3>\(c.t(label))</h3><p class=\"value\">\(value)</p><p class=\"who\">\(who) · \(dates.format(at, c.language))</p>\(keep)</div>"
                }
                return """
                    <li class="conflict\(if: settled, " settled")"><h2><a href="/r/\(x.record)"><code>\(String(x.record.prefix(8)))</code></a> · \(field)\(if: settled, " · \(c.t(.settled))")</h2>
                    <div class="sides">\(side(.winner, x.winner, x.winnerValue, x.winnerNode, x.winnerAt))\(side(.loser, x.loser, x.loserValue, x.loserNode, x.loserAt))</div></li>
                    """
            }.joined()
            let list: HTML = conflicts.isEmpty ? "<p class=\"empty\">\(c.t(.noConflicts))</p>" : "<ul class=\"conflicts\">\(items)</ul>"
            let body: HTML = "<h1>\(c.t(.conflicts))</h1>\(adminNav(c, "/admin/conflicts"))\(error.map { Pages.errorBox($0, c) } ?? .empty)<section data-live id=\"conflict-list\">\(list)</section>"
            return Pages.page(c, node, title: c.t(.conflicts), path: "/admin/conflicts", body, status: error == nil ? .ok : .badRequest)
        }
    }

    func resolveConflict(_ c: WebContext) throws -> Response {
        if let ask = needPerson(c, back: "/admin/conflicts") { return ask }
        do {
            let response = try admin(c) { r, _ in
                let done = try r.resolveConflict(c.form["record"] ?? "", field: c.form["field"] ?? "", keep: c.form["keep"] ?? "", author: c.person ?? "")
                return Pages.redirect("/r/\(done.record)")
            }
            return response
        } catch let error as ReplicaError {
            return try conflictsPage(c, error: error)
        }
    }

    // MARK: Alerts, members, peers, verify

    func alertsPage(_ c: WebContext) throws -> Response {
        try admin(c) { r, node in
            let alerts = try r.alerts()
            let rows = alerts.reversed().map { a -> HTML in
                "<tr><td>\(dates.format(a.at, c.language))</td><td>\(a.kind)</td><td>\(a.origin.map { String($0.prefix(8)) } ?? "")\(a.seq.map { ":\($0)" } ?? "")</td><td class=\"value\">\(a.detail)</td></tr>"
            }.joined()
            let list: HTML = alerts.isEmpty ? "<p class=\"empty\">\(c.t(.noAlerts))</p>"
                : "<div class=\"table\"><table><thead><tr><th>\(c.t(.when))</th><th>\(c.t(.kind))</th><th>\(c.t(.origins))</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div>"
            return Pages.page(c, node, title: c.t(.alerts), path: "/admin/alerts", "<h1>\(c.t(.alerts))</h1>\(adminNav(c, "/admin/alerts"))<section data-live id=\"alerts\">\(list)</section>")
        }
    }

    func membersPage(_ c: WebContext, notice: HTML?, error: ReplicaError?) throws -> Response {
        try admin(c) { r, node in
            let members = try r.members()
            let rows = members.map { m -> HTML in
                let revoke: HTML = node.admin && !m.revoked && !m.admin ? """
                    <form method="post" action="/admin/members/revoke">\(Pages.csrf(c))<input type="hidden" name="node" value="\(m.node)"><button type="submit" class="danger">\(c.t(.revoke))</button></form>
                    """ : .empty
                return "<tr><td>\(m.name)\(if: m.admin, " (admin)")</td><td>\(m.role)</td><td><code>\(String(m.node.prefix(8)))</code></td><td>\(m.revoked ? c.t(.revoked) : "")</td><td>\(revoke)</td></tr>"
            }.joined()
            let roles = Role.allCases.map { role -> HTML in "<option value=\"\(role.rawValue)\">\(role.title)</option>" }.joined()
            let invite: HTML = node.admin ? """
                <form method="post" action="/admin/members/invite" class="box">\(Pages.csrf(c))<h2>\(c.t(.invite))</h2>
                <label for="invite-name">\(c.t(.inviteName))</label><input id="invite-name" name="name" required maxlength="200">
                <label for="invite-role">\(c.t(.role))</label><select id="invite-role" name="role">\(roles)</select><button type="submit">\(c.t(.invite))</button></form>
                """ : .empty
            let body: HTML = """
                <h1>\(c.t(.members))</h1>\(adminNav(c, "/admin/members"))\(error.map { Pages.errorBox($0, c) } ?? .empty)\(notice ?? .empty)
                <div class="table"><table><thead><tr><th>\(c.t(.node))</th><th>\(c.t(.role))</th><th>ID</th><th>\(c.t(.status))</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div>\(invite)
                """
            return Pages.page(c, node, title: c.t(.members), path: "/admin/members", body, status: error == nil ? .ok : .badRequest)
        }
    }

    /// Writes the invitation beside the replica's home (`sinkron-invitations/NAME.invite`, never
    /// inside the home, which holds the database) and shows the one-time code to hand over apart.
    func invite(_ c: WebContext) throws -> Response {
        do {
            let parent = ((options.home as NSString).standardizingPath as NSString).deletingLastPathComponent
            let folder = (parent as NSString).appendingPathComponent("sinkron-invitations")
            var written: (path: String, code: String)?
            let refused = try admin(c) { r, _ -> Response in
                guard let role = Role(rawValue: c.form["role"] ?? "") else {
                    throw ReplicaError(.invalidInput, "\"\(c.form["role"] ?? "")\" is not a role", hint: "one of: \(Role.allNames)")
                }
                let name = c.form["name"]?.trimmingCharacters(in: .whitespaces) ?? ""
                guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
                    throw ReplicaError(.invalidInput, "\"\(name)\" cannot name an invitation file", hint: "e.g. meja-satu-2")
                }
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let path = (folder as NSString).appendingPathComponent("\(name).invite")
                let receipt = try r.invite(name: name, role: role, to: path)
                written = (path, receipt.code)
                return Pages.redirect("/admin/members")
            }
            guard let written else { return refused }
            return try membersPage(c, notice: "<div class=\"notice\" role=\"status\"><p>\(c.t(.invitationWritten))</p><pre>\(written.path)</pre><p>\(c.t(.invitationCode))</p><pre class=\"code\">\(written.code)</pre></div>", error: nil)
        } catch let error as ReplicaError {
            return try membersPage(c, notice: nil, error: error)
        }
    }

    func revoke(_ c: WebContext) throws -> Response {
        do {
            return try admin(c) { r, _ in
                _ = try r.revoke(c.form["node"] ?? "")
                return Pages.redirect("/admin/members")
            }
        } catch let error as ReplicaError {
            return try membersPage(c, notice: nil, error: error)
        }
    }

    func peersPage(_ c: WebContext) throws -> Response {
        try admin(c) { r, node in
            let now = r.courtDate
            let peers = try r.peers()
            let rows = peers.map { p -> HTML in
                let lag = p.lastOK.map { describeMinutes(Int(now.timeIntervalSince($0) / 60), c.language) } ?? c.t(.never)
                return "<tr><td>\(p.address)</td><td>\(p.lastOK.map { dates.format($0, c.language) } ?? c.t(.never))</td><td>\(lag)</td><td class=\"value\">\(p.lastError ?? "")</td></tr>"
            }.joined()
            let sessions = try r.sessions(limit: 50).filter { $0.kind != "import" }
            var lastByPeer: [String: SessionEntry] = [:]
            for s in sessions where lastByPeer[s.peer ?? "?"] == nil { lastByPeer[s.peer ?? "?"] = s }
            let seen = lastByPeer.sorted { $0.key < $1.key }.map { peer, s -> HTML in
                "<tr><td>\(peer)</td><td>\(s.address ?? "")</td><td>\(dates.format(s.startedAt, c.language))</td><td>\(describeMinutes(Int(now.timeIntervalSince(s.startedAt) / 60), c.language))</td><td>\(s.outcome ?? "")</td></tr>"
            }.joined()
            let body: HTML = """
                <h1>\(c.t(.peers))</h1>\(adminNav(c, "/admin/peers"))
                <section data-live id="peers"><div class="table"><table><thead><tr><th>\(c.t(.address))</th><th>\(c.t(.lastSync))</th><th>\(c.t(.lag))</th><th>\(c.t(.lastError))</th></tr></thead><tbody>\(rows)</tbody></table></div>
                <h2>\(c.t(.merges))</h2><div class="table"><table><thead><tr><th>\(c.t(.peer))</th><th>\(c.t(.address))</th><th>\(c.t(.lastSync))</th><th>\(c.t(.lag))</th><th>\(c.t(.outcome))</th></tr></thead><tbody>\(seen)</tbody></table></div></section>
                """
            return Pages.page(c, node, title: c.t(.peers), path: "/admin/peers", body)
        }
    }

    func verifyPage(_ c: WebContext) throws -> Response {
        try admin(c) { r, node in
            let mark = try r.changeMark()
            let cached = verifyCache.withLock { $0?.mark == mark ? $0 : nil }
            let report = try cached?.report ?? r.verify()
            let digest = try cached?.digest ?? r.digest()
            verifyCache.withLock { $0 = (mark, report, digest) }
            let problems = report.problems.map { p -> HTML in "<li>\(p)</li>" }.joined()
            let state: HTML = report.ok ? "<p class=\"ok\">\(c.t(.verifyOK))</p>" : "<div class=\"error\"><h2>\(c.t(.verifyProblems))</h2><ul>\(problems)</ul></div>"
            let body: HTML = """
                <h1>\(c.t(.verify))</h1>\(adminNav(c, "/admin/verify"))\(state)
                <table class="fields"><tr><th scope="row">\(c.t(.origins))</th><td>\(report.origins)</td></tr><tr><th scope="row">\(c.t(.operations))</th><td>\(report.operations)</td></tr>
                <tr><th scope="row">\(c.t(.signatures))</th><td>\(report.signatures)</td></tr></table>
                <h2>\(c.t(.digest))</h2><p class="digest"><code>\(digest)</code></p><p>\(c.t(.compareHint))</p>
                """
            return Pages.page(c, node, title: c.t(.verify), path: "/admin/verify", body)
        }
    }
}

func bytes(_ n: Int) -> String {
    if n < 1024 { return "\(n) B" }
    if n < 1 << 20 { return String(format: "%.1f KiB", Double(n) / 1024) }
    return String(format: "%.1f MiB", Double(n) / Double(1 << 20))
}
