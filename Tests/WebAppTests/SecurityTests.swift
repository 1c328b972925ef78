import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Replica
import ReplicaTesting
import Testing

@testable import WebApp

@Suite("Web app security") struct SecurityTests {
    @Test func aForeignHostIsRefusedBeforeAnythingElse() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            let response = try await browser.get("/", host: "evil.example:7080")
            #expect(response.status == .misdirectedRequest)
            #expect(!response.text.contains("meja"), "nothing of the replica is shown")
            let rebinding = try await browser.get("/", host: "127.0.0.1:9999")
            #expect(rebinding.status == .misdirectedRequest)
            let r1 = try await browser.get("/")
            #expect(r1.status == .ok)
        }
    }

    @Test func withoutASessionOnlyTheSignInPageIsShown() async throws {
        let court = try Court()
        let app = Application(router: try court.web("meja").web.router())
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/records", method: .get, headers: [hostField: WebHarness.host])
            #expect(response.status == .unauthorized)
            #expect(String(buffer: response.body).contains("sinkron open"))
            let bogus = try await client.execute(uri: "/login?token=" + String(repeating: "a", count: 64), method: .get, headers: [hostField: WebHarness.host])
            #expect(bogus.status == .unauthorized)
        }
    }

    @Test func aLoginTokenWorksOnce() async throws {
        let court = try Court()
        let home = court.sandbox.home("meja")
        let token = try LoginTokens.issue(home: home)
        #expect(LoginTokens.consume(home: home, token: token))
        #expect(!LoginTokens.consume(home: home, token: token))
        #expect(!LoginTokens.consume(home: home, token: "../../etc/passwd"))
    }

    @Test func everyResponseSendsAStrictContentSecurityPolicy() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            for path in ["/", "/assets/app.css", "/new/bug"] {
                let response = try await browser.get(path)
                let csp = response.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"), "\(path): \(csp)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }

    @Test func aPostWithoutTheSessionsCSRFTokenChangesNothing() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            let form = ["title": "t", "description": "d"]
            let r2 = try await browser.post("/new/bug", form, csrf: "")
            #expect(r2.status == .forbidden)
            let r3 = try await browser.post("/new/bug", form, csrf: String(repeating: "0", count: 64))
            #expect(r3.status == .forbidden)
            let r4 = try await browser.post("/new/bug", form)
            #expect(r4.status == .seeOther)
        }
        #expect(try court.meja.list(kind: .bug).count == 1, "only the POST with the token wrote")
    }

    @Test func stateChangesOnlyByPost() async throws {
        let court = try Court()
        try await court.web("meja").run { browser in
            let response = try await browser.get("/new/bug?title=t&description=d")
            #expect(response.status == .ok)
            let put = try await browser.client.execute(uri: "/new/bug", method: .put, headers: [hostField: WebHarness.host, .cookie: browser.cookieHeader])
            #expect(put.status == .methodNotAllowed)
        }
        #expect(try court.meja.list().isEmpty)
    }

    @Test func aRecordFromAnotherPCIsEscapedEverywhere() async throws {
        let court = try Court()
        let evil = "<script>alert(1)</script>"
        let id = try court.meja.fileBug(title: evil, description: "\"><img src=x onerror=alert(2)>", author: "<b>Rina</b>")
        try court.meja.comment(id.hex, text: evil)
        try court.carry(court.meja, court.staf)
        try await court.web("staf").run(person: "Andi") { browser in
            for path in ["/", "/records", "/r/\(id.hex)", "/records?q=script"] {
                let page = try await browser.get(path).text
                #expect(!page.contains(evil) && !page.contains("<img src=x") && !page.contains("<b>Rina"), "\(path) shows markup from the replica")
                #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path) shows the title as text")
            }
        }
    }
}
