import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Replica
import ReplicaTesting
import Testing

@testable import WebApp

let hostField = HTTPField.Name("Host")!

/// A desk's web app over a sandbox replica, driven without a socket.
struct WebHarness {
    static let host = "127.0.0.1:7080"
    let web: WebApp
    let home: String

    init(home: String) throws {
        var options = WebApp.Options(home: home)
        options.allowedHosts = [Self.host]
        web = try WebApp(options: options)
        self.home = home
    }

    /// Runs `body` with a client signed in (a person chosen, language as given).
    func run(person: String? = "Rina", language: String? = nil, _ body: @escaping @Sendable (Browser) async throws -> Void) async throws {
        let app = Application(router: web.router())
        let home = self.home
        try await app.test(.router) { client in
            var browser = Browser(client: client, cookies: [:])
            try await browser.login(home: home)
            if let person { browser.cookies["person"] = person }
            if let language { browser.cookies["lang"] = language }
            try await body(browser)
        }
    }
}

/// What a browser holds: its cookies; and what it does: GET and POST with the page's CSRF token.
struct Browser: Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String]

    var cookieHeader: String { cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    /// Signs in with a fresh login link. A link expires after `LoginTokens.lifetime`; when the
    /// suite's other tests kept this one waiting for a thread longer than that between issuing
    /// the link and using it, the refusal is right and the harness asks again (at most twice).
    mutating func login(home: String) async throws {
        var response: TestResponse
        var attempts = 0
        repeat {
            attempts += 1
            let issued = ContinuousClock.now
            let token = try LoginTokens.issue(home: home)
            response = try await client.execute(uri: "/login?token=\(token)", method: .get, headers: [hostField: WebHarness.host])
            guard response.status == .unauthorized, ContinuousClock.now - issued >= .seconds(LoginTokens.lifetime), attempts < 3 else { break }
        } while true
        #expect(response.status == .seeOther)
        let setCookie = response.headers[.setCookie] ?? ""
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), "session cookie: \(setCookie)")
        let pair = try #require(setCookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1), "no session cookie")
        try #require(pair.count == 2, "session cookie: \(setCookie)")
        cookies[WebApp.sessionCookie] = String(pair[1])
    }

    func get(_ path: String, host: String = WebHarness.host) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [hostField: host, .cookie: cookieHeader])
    }

    /// POSTs a form; `csrf` nil takes the token from the home page, "" sends none.
    func post(_ path: String, _ form: [String: String], csrf: String? = nil) async throws -> TestResponse {
        var form = form
        let token: String
        if let csrf { token = csrf } else { token = try await self.csrf() }
        if !token.isEmpty { form["_csrf"] = token }
        let body = form.map { "\(urlEncode($0.key))=\(urlEncode($0.value))" }.joined(separator: "&")
        return try await client.execute(
            uri: path, method: .post, headers: [hostField: WebHarness.host, .cookie: cookieHeader, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body))
    }

    func csrf() async throws -> String {
        let page = try await get("/").text
        guard let range = page.range(of: #"name="_csrf" value="[0-9a-f]+""#, options: .regularExpression) else { return "" }
        return String(page[range].dropFirst(#"name="_csrf" value=""#.count).dropLast())
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var location: String { headers[.location] ?? "" }
}

/// A court with an admin (Kasubbag), a meja-satu desk and a staf-TI desk.
final class Court {
    let sandbox: Sandbox
    let kasubbag: Replica
    let meja: Replica
    let staf: Replica

    init() throws {
        sandbox = try Sandbox("web")
        kasubbag = try sandbox.founder("kasubbag", role: .kasubbag, clock: SystemClock())
        meja = try sandbox.member("meja", role: .mejaSatu, invitedBy: kasubbag, clock: SystemClock())
        staf = try sandbox.member("staf", role: .stafTI, invitedBy: kasubbag, clock: SystemClock())
    }

    func web(_ name: String) throws -> WebHarness { try WebHarness(home: sandbox.home(name)) }

    /// Flash-disk exchange, so the receiver logs a merge session.
    func carry(_ from: Replica, _ to: Replica) throws {
        try Exchange.bundle(from: from, to: to, via: sandbox.path("carry.bundle"))
    }
}
