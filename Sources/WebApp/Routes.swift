import Foundation
import Hummingbird
import Replica

extension WebApp {
    func addRoutes(_ router: Router<WebContext>) {
        router.get("/login") { request, context in self.login(request, context) }
        router.get("/assets/:name") { _, context in try Assets.response(context.parameters.require("name")) }
        router.post("/lang") { _, context in self.setLanguage(context) }
        router.get("/person") { request, context in try self.personPage(request.query("back") ?? "/", context) }
        router.post("/person") { _, context in try self.setPerson(context) }
        router.get("/live") { _, _ in try self.liveMark() }
        router.get("/check/case") { request, _ in Self.checkCase(request.query("value") ?? "") }

        router.get("/") { _, context in try self.home(context) }
        router.get("/records") { request, context in try self.recordList(request, context) }
        router.get("/new") { _, context in try self.newMenu(context) }
        for form in RecordForm.allCases {
            router.get("/new/\(form.rawValue)") { request, context in try self.formPage(form, values: [:], error: nil, context, back: request.uri.path) }
            router.post("/new/\(form.rawValue)") { _, context in try self.submit(form, context) }
        }
        router.get("/r/:id") { _, context in try self.recordPage(context.parameters.require("id"), context) }
        router.post("/r/:id/step") { _, context in try self.doStep(context.parameters.require("id"), context) }
        router.post("/r/:id/comment") { _, context in try self.addComment(context.parameters.require("id"), context) }
        router.post("/r/:id/edit") { _, context in try self.editField(context.parameters.require("id"), context) }
        router.post("/r/:id/archive") { _, context in try self.archive(context.parameters.require("id"), context) }
        router.post("/r/:id/number") { _, context in try self.numberLetter(context.parameters.require("id"), context) }

        router.get("/admin") { _, context in try self.adminIndex(context) }
        router.get("/admin/merges") { request, context in try self.mergesPage(request, context) }
        router.get("/admin/merges/:id") { _, context in try self.sessionPage(context.parameters.require("id", as: Int64.self), context) }
        router.get("/admin/conflicts") { _, context in try self.conflictsPage(context, error: nil) }
        router.post("/admin/conflicts/resolve") { _, context in try self.resolveConflict(context) }
        router.get("/admin/alerts") { _, context in try self.alertsPage(context) }
        router.get("/admin/members") { _, context in try self.membersPage(context, notice: nil, error: nil) }
        router.post("/admin/members/invite") { _, context in try self.invite(context) }
        router.post("/admin/members/revoke") { _, context in try self.revoke(context) }
        router.get("/admin/peers") { _, context in try self.peersPage(context) }
        router.get("/admin/verify") { _, context in try self.verifyPage(context) }
        router.get("/overview") { _, context in try self.overviewPage(context) }
        router.get("/overview/:list") { _, context in try self.overviewCSV(context.parameters.require("list"), context) }
    }

    // MARK: Signing in, language, person

    func login(_ request: Request, _ context: WebContext) -> Response {
        guard let token = request.query("token"), LoginTokens.consume(home: options.home, token: token) else {
            return Pages.loginNeeded(context)
        }
        let session = newSession()
        var response = Pages.redirect("/")
        response.setCookie(
            Cookie(name: Self.sessionCookie, value: session.id, maxAge: Int(WebSessionStore.lifetime), path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// Only local paths are followed back (never another site).
    static func localPath(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\") else { return "/" }
        return raw
    }

    func setLanguage(_ context: WebContext) -> Response {
        let language: Language = context.form["lang"] == "en" ? .en : .id
        var response = Pages.redirect(Self.localPath(context.form["back"]))
        response.setCookie(Cookie(name: "lang", value: language.rawValue, maxAge: 365 * 24 * 3600, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    func personPage(_ back: String, _ c: WebContext, error: ReplicaError? = nil) throws -> Response {
        let node = try replica.use { try NodeInfo($0) }
        let body: HTML = """
            <section class="narrow"><h1>\(c.t(.personTitle))</h1><p>\(c.t(.personPrompt))</p>
            \(error.map { Pages.errorBox($0, c) } ?? .empty)
            <form method="post" action="/person">\(Pages.csrf(c))<input type="hidden" name="back" value="\(Self.localPath(back))">
            <label for="person">\(c.t(.personName))</label><input id="person" name="person" required maxlength="200" autocomplete="name" value="\(c.person ?? "")">
            <button type="submit">\(c.t(.save))</button></form></section>
            """
        return Pages.page(c, node, title: c.t(.personTitle), path: "/person", body, status: error == nil ? .ok : .badRequest)
    }

    func setPerson(_ c: WebContext) throws -> Response {
        let back = Self.localPath(c.form["back"])
        do {
            let person = try Validation.text(c.form["person"] ?? "", "person", limit: 200)!
            var response = Pages.redirect(back)
            response.setCookie(Cookie(name: "person", value: urlEncode(person), maxAge: 365 * 24 * 3600, path: "/", httpOnly: true, sameSite: .strict))
            return response
        } catch let error as ReplicaError {
            return try personPage(back, c, error: error)
        }
    }

    /// Pages that write need to know who acts; without a person the browser is asked first.
    func needPerson(_ c: WebContext, back: String) -> Response? {
        c.person == nil ? Pages.redirect("/person?back=\(urlEncode(back))") : nil
    }

    // MARK: Live

    func liveMark() throws -> Response {
        let mark = try replica.use { try $0.changeMark() }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: String(mark))))
    }

    /// The case-number check the deletion form runs as the user types: the library's own check and message.
    static func checkCase(_ value: String) -> Response {
        var text: String
        do {
            _ = try Validation.caseNumber(value)
            text = #"{"ok":true}"#
        } catch let error as ReplicaError {
            text = #"{"ok":false,"message":"# + jsonString(error.message) + #","hint":"# + jsonString(error.hint ?? "") + "}"
        } catch {
            text = #"{"ok":false}"#
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

func jsonString(_ s: String) -> String {
    let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}
