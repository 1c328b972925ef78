import Foundation
import HTTPTypes
import Hummingbird
import Replica

/// The checks every request passes before a handler sees it, and the headers every response gets.
struct WebGuard: RouterMiddleware {
    typealias Context = WebContext
    let app: WebApp
    /// The largest form accepted.
    static let maxForm = 256 * 1024

    static let hostField = HTTPField.Name("Host")!

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ input: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var response = try await check(input, context: context, next: next)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    func check(_ input: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var request = input
        var context = context
        context.language = request.cookies["lang"]?.value == "en" ? .en : .id
        // DNS rebinding: a page on another name that resolves to 127.0.0.1 sends its own Host.
        // HTTP/1's Host header arrives as the request's authority; a Host field is checked first if one is left.
        let host = request.headers[Self.hostField] ?? request.head.authority ?? ""
        guard app.hosts.withLock({ $0.contains(host) }) else {
            return Pages.plain(.misdirectedRequest, context.t(.forbiddenHost))
        }
        guard request.method == .get || request.method == .post || request.method == .head else {
            return Pages.plain(.methodNotAllowed, "GET or POST only")
        }
        let path = request.uri.path
        if path.hasPrefix("/assets/") || path == "/login" { return try await next(request, context) }
        guard let id = request.cookies[WebApp.sessionCookie]?.value, let session = app.session(id) else {
            return Pages.loginNeeded(context)
        }
        context.session = session
        if let raw = request.cookies["person"]?.value.removingPercentEncoding, let person = try? Validation.text(raw, "person", required: false) {
            context.person = person
        }
        if request.method == .post {
            let body = try await request.collectBody(upTo: Self.maxForm)
            context.form = FormData.parse(String(buffer: body))
            guard let token = context.form["_csrf"], sameToken(token, session.csrf) else {
                return Pages.plain(.forbidden, context.t(.forbiddenCSRF))
            }
        }
        do {
            return try await next(request, context)
        } catch let error as ReplicaError {
            return Pages.error(error, context: context, app: app)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            // Not a refusal but a fault (e.g. SQLite): say so on the page rather than send an empty 500.
            return Pages.plain(.internalServerError, "\(context.t(.internalError)) \(error)")
        }
    }
}
