import Foundation
import Hummingbird
import HummingbirdTesting
import Replica
import ReplicaTesting
import Synchronization
import Testing

@testable import WebApp

/// Signed-in browsers outlive a restart of the web app; expired ones are pruned.
@Suite("Web sessions") struct WebSessionTests {
    /// Signs a browser in on one app and returns its cookies and a form's CSRF token.
    func signIn(_ harness: WebHarness) async throws -> (cookies: [String: String], csrf: String) {
        let app = Application(router: harness.web.router())
        let home = harness.home
        let held = Mutex<([String: String], String)>(([:], ""))
        try await app.test(.router) { client in
            var browser = Browser(client: client, cookies: [:])
            try await browser.login(home: home)
            let token = try await browser.csrf()
            held.withLock { $0 = (browser.cookies, token) }
        }
        return held.withLock { $0 }
    }

    @Test func aRestartedWebAppKeepsTheBrowserSignedIn() async throws {
        let court = try Court()
        let (cookies, csrf) = try await signIn(try court.web("meja"))
        #expect(csrf.count == 64)
        // A new app over the same home, as after `sinkron serve --web` restarts.
        let again = try court.web("meja")
        try await Application(router: again.web.router()).test(.router) { client in
            let browser = Browser(client: client, cookies: cookies)
            let home = try await browser.get("/")
            #expect(home.status == .ok, "still signed in after the restart")
            #expect(try await browser.csrf() == csrf, "the CSRF token is the session's own")
            let person = try await browser.post("/person", ["person": "Rina", "back": "/"], csrf: csrf)
            #expect(person.status == .seeOther, "a form of the old page still goes through")
            let stranger = Browser(client: client, cookies: [WebApp.sessionCookie: String(repeating: "ab", count: 32)])
            #expect(try await stranger.get("/").status == .unauthorized)
        }
        // The file holds hashes only, readable by this PC's user alone.
        let path = WebSessionStore.file(court.sandbox.home("meja"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let token = try #require(cookies[WebApp.sessionCookie])
        #expect(!text.contains(token) && text.contains(WebSessionStore.hash(token)))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
    }

    @Test func expiredSessionsArePrunedAndRefused() throws {
        let sandbox = try Sandbox("sessions")
        let path = sandbox.path("web-sessions")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var store = WebSessionStore(path: path, now: start)
        let (old, fresh) = (randomToken(), randomToken())
        store.add(old, now: start, limit: 8)
        let later = start.addingTimeInterval(WebSessionStore.lifetime - 60)
        store.add(fresh, now: later, limit: 8)
        let used = store.touch(old, now: later.addingTimeInterval(30))
        #expect(used, "used within its lifetime")
        // Using `old` moved its expiry on in the file: both survive a reload past its first expiry.
        let reloaded = WebSessionStore(path: path, now: start.addingTimeInterval(WebSessionStore.lifetime + 1))
        #expect(Set(reloaded.entries.keys) == [WebSessionStore.hash(old), WebSessionStore.hash(fresh)])
        var pruned = WebSessionStore(path: path, now: later.addingTimeInterval(2 * WebSessionStore.lifetime))
        #expect(pruned.entries.isEmpty)
        let expired = pruned.touch(fresh, now: later.addingTimeInterval(2 * WebSessionStore.lifetime))
        #expect(!expired)
        // Expired lines are dropped from the file at the next write.
        pruned.add(randomToken(), now: later.addingTimeInterval(2 * WebSessionStore.lifetime), limit: 8)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
    }
}
