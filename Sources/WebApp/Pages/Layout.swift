import Foundation
import Hummingbird
import Replica

/// What every page's frame needs to know about the node.
struct NodeInfo {
    var name: String
    var role: Role
    var court: String
    var admin: Bool
    var mark: Int64

    /// Admin pages are for the admin node and for the Kasubbag and staf TI desks.
    var mayAdminister: Bool { admin || role == .kasubbag || role == .stafTI }

    init(_ replica: Replica) throws {
        name = replica.identity.name
        role = replica.enrolledRole
        court = replica.identity.court
        admin = replica.isAdmin
        mark = try replica.changeMark()
    }
}

enum Pages {
    /// Seconds between an open page's polls for operations a sync brought (`/live`).
    static let pollSeconds = 5

    static func respond(_ body: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A bare refusal (no session, no replica needed).
    static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        respond("<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Sinkron</title></head><body><p>\(message)</p></body></html>", status: status)
    }

    static func loginNeeded(_ c: WebContext) -> Response {
        respond(
            """
            <!doctype html><html lang="\(c.language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(c.t(.loginNeeded)) · Sinkron</title><link rel="stylesheet" href="/assets/app.css"></head>
            <body><main class="narrow"><h1>\(c.t(.loginNeeded))</h1><p>\(c.t(.loginHow))</p><pre>sinkron open</pre></main></body></html>
            """, status: .unauthorized)
    }

    /// The frame of every page: header with the node, navigation, language switch, person.
    static func page(_ c: WebContext, _ node: NodeInfo, title: String, path: String, _ body: HTML, status: HTTPResponse.Status = .ok) -> Response {
        let csrf = c.session?.csrf ?? ""
        let nav: [(String, L)] = [("/", .home), ("/records", .records), ("/new", .newRecord)]
            + (node.mayAdminister ? [("/overview", .overview), ("/admin", .admin)] : [])
        let links = nav.map { href, key -> HTML in
            let current = href == "/" ? path == "/" : path.hasPrefix(href)
            return "<a href=\"\(href)\"\(if: current, " aria-current=\"page\"")>\(c.t(key))</a>"
        }.joined()
        let person: HTML = c.person.map { "<span>\(c.t(.personCurrent)): <strong>\($0)</strong> (<a href=\"/person?back=\(urlEncode(path))\">\(c.t(.personChange))</a>)</span>" } ?? .empty
        let html: HTML = """
            <!doctype html>
            <html lang="\(c.language.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Sinkron</title>
            <link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script></head>
            <body data-mark="\(node.mark)" data-poll="\(Self.pollSeconds)">
            <a class="skip" href="#content">\(c.t(.skipToContent))</a>
            <header class="top">
              <div class="brand"><a href="/">Sinkron</a> <span class="node">\(node.name) · \(node.role.title) · \(node.court)</span></div>
              <nav aria-label="\(c.t(.appName))">\(links)</nav>
              <div class="whoami">\(person)
                <form method="post" action="/lang" class="inline"><input type="hidden" name="_csrf" value="\(csrf)"><input type="hidden" name="back" value="\(path)">
                <input type="hidden" name="lang" value="\(c.language == .id ? "en" : "id")"><button type="submit" class="link" lang="\(c.language == .id ? "en" : "id")">\(c.t(.switchLanguage))</button></form>
              </div>
            </header>
            <p id="live-note" class="live-note" hidden>\(c.t(.liveUpdated))</p>
            <main id="content" tabindex="-1">
            \(body)
            </main>
            </body></html>
            """
        return respond(html, status: status)
    }

    /// A replica error as a page: what failed and what to do next.
    static func error(_ error: ReplicaError, context c: WebContext, app: WebApp) -> Response {
        let status: HTTPResponse.Status =
            switch error.code {
            case .notFound: .notFound
            case .notPermitted: .forbidden
            case .busy, .storage: .serviceUnavailable
            default: .badRequest
            }
        guard let node = try? app.replica.use({ try NodeInfo($0) }) else { return plain(status, error.message) }
        return page(c, node, title: c.t(.errorTitle), path: "/", errorBox(error, c) + "<p><a href=\"/\">\(c.t(.home))</a></p>", status: status)
    }

    static func errorBox(_ error: ReplicaError, _ c: WebContext) -> HTML {
        "<div class=\"error\" role=\"alert\"><h2>\(c.t(.errorTitle))</h2><p class=\"message\">\(error.message)</p>\(error.hint.map { "<p class=\"hint\">\($0)</p>" as HTML } ?? .empty)</div>"
    }

    static func csrf(_ c: WebContext) -> HTML {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(c.session?.csrf ?? "")\">"
    }
}
