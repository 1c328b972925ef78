import Crypto
import Foundation

/// Signed-in browsers, kept in a 0600 file of the replica's folder (`web-sessions`) so that a
/// restart of `sinkron web` or `serve --web` leaves every desk signed in. The file holds only a
/// SHA-256 of each session token and its expiry: a copy of it signs nobody in. A session's CSRF
/// token is derived from its session token, so it needs no storage either. Local to this PC,
/// never replicated.
struct WebSessionStore: Sendable {
    /// A session unused this long expires (and is pruned).
    static let lifetime: TimeInterval = 7 * 24 * 3600
    /// A session's expiry is written again only when it moved on by more than this, so that
    /// browsing does not rewrite the file on every request.
    static let refreshEvery: TimeInterval = 3600

    struct Entry: Sendable, Equatable {
        var expires: Date
        /// The expiry last written to the file.
        var stored: Date
    }

    let path: String?
    /// By token hash.
    private(set) var entries: [String: Entry] = [:]

    static func file(_ home: String) -> String { (home as NSString).appendingPathComponent("web-sessions") }

    /// Loads the sessions of `path` that are still valid at `now` (none without a path or file).
    init(path: String?, now: Date = Date()) {
        self.path = path
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[0].count == 64, let seconds = Double(parts[1]) else { continue }
            let expires = Date(timeIntervalSince1970: seconds)
            if expires > now { entries[String(parts[0])] = Entry(expires: expires, stored: expires) }
        }
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The CSRF token of the session `token`: an HMAC of it, so forms of one session cannot be
    /// replayed in another, and nothing else need be kept.
    static func csrf(_ token: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array("sinkron csrf".utf8), using: SymmetricKey(data: Array(token.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Adds a session, dropping the one closest to expiry when `limit` are kept; saves.
    mutating func add(_ token: String, now: Date, limit: Int) {
        prune(now)
        while entries.count >= limit, let oldest = entries.min(by: { $0.value.expires < $1.value.expires }) { entries[oldest.key] = nil }
        let expires = now.addingTimeInterval(Self.lifetime)
        entries[Self.hash(token)] = Entry(expires: expires, stored: expires)
        save()
    }

    /// True when `token` names a live session; moves its expiry on (saved now and then).
    mutating func touch(_ token: String, now: Date) -> Bool {
        let key = Self.hash(token)
        guard var entry = entries[key] else { return false }
        guard entry.expires > now else {
            entries[key] = nil
            save()
            return false
        }
        entry.expires = now.addingTimeInterval(Self.lifetime)
        let due = entry.expires.timeIntervalSince(entry.stored) > Self.refreshEvery
        if due { entry.stored = entry.expires }
        entries[key] = entry
        if due {
            prune(now)
            save()
        }
        return true
    }

    private mutating func prune(_ now: Date) {
        entries = entries.filter { $0.value.expires > now }
    }

    /// Writes the file whole (a temporary file renamed over it, 0600 from the start).
    private func save() {
        guard let path else { return }
        let text = entries.sorted { $0.key < $1.key }.map { "\($0.key) \(Int64($0.value.stored.timeIntervalSince1970))\n" }.joined()
        let temporary = path + ".tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    }
}
