import Foundation
import Hummingbird
import Replica

/// What the guard middleware learned about a request, for the handlers.
public struct WebContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    var session: WebSession?
    var language: Language = .id
    /// The person acting at this browser (asked once, kept in a cookie).
    var person: String?
    /// The fields of a POSTed form (already checked for its CSRF token).
    var form: [String: String] = [:]

    public init(source: Source) { coreContext = .init(source: source) }

    func t(_ key: L) -> String { Strings.text(key, language) }
}

/// A signed-in browser: made from a one-time login token, kept in memory by the server.
struct WebSession: Sendable {
    let id: String
    /// Put in every form and checked on every POST.
    let csrf: String
    var lastSeen: Date
}

/// Decodes `application/x-www-form-urlencoded` text (and query strings).
enum FormData {
    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&").prefix(200) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first.map(decode), !key.isEmpty else { continue }
            out[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }
}

extension Request {
    /// A query parameter, decoded as a form decodes it ("+" is a space).
    func query(_ name: String) -> String? {
        FormData.parse(uri.query ?? "")[name]
    }
}

/// Random tokens for sessions, CSRF and login links.
func randomToken() -> String {
    var g = SystemRandomNumberGenerator()
    return (0..<4).map { _ in String(format: "%016llx", g.next() as UInt64) }.joined()
}

/// Compares two tokens in time that does not depend on where they differ.
func sameToken(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}
