import Foundation

/// One-time login links. `sinkron open` (or the server at start) writes a token into the
/// replica's folder, which only this PC's user can read (0700); the server accepts it once,
/// within `lifetime`, and turns it into a session cookie. A page elsewhere on the web that
/// reaches 127.0.0.1 has no token, so it has no session.
public enum LoginTokens {
    /// How long a login link stays valid.
    public static let lifetime: TimeInterval = 10 * 60
    /// At most this many unused tokens are kept (older ones are removed).
    static let maxPending = 16

    static func folder(_ home: String) -> String { (home as NSString).appendingPathComponent("web-login") }

    /// The address the running web app listens on, written by the server, read by `sinkron open`.
    public static func addressFile(_ home: String) -> String { (home as NSString).appendingPathComponent("web.address") }

    /// Writes a new token and returns it.
    public static func issue(home: String) throws -> String {
        let dir = folder(home)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        prune(dir)
        let token = randomToken()
        let path = (dir as NSString).appendingPathComponent(token)
        guard FileManager.default.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return token
    }

    /// Accepts `token` once: true when it was issued here and is still fresh.
    public static func consume(home: String, token: String) -> Bool {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return false }
        let path = (folder(home) as NSString).appendingPathComponent(token)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let made = attributes[.modificationDate] as? Date
        else { return false }
        // Removed first: a token that cannot be removed is not accepted (it could be used again).
        guard (try? FileManager.default.removeItem(atPath: path)) != nil else { return false }
        return Date().timeIntervalSince(made) < lifetime
    }

    static func prune(_ dir: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let dated = names.compactMap { name -> (String, Date)? in
            let path = (dir as NSString).appendingPathComponent(name)
            guard let d = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
            return (path, d)
        }.sorted { $0.1 > $1.1 }
        for (i, (path, made)) in dated.enumerated() where i >= maxPending - 1 || Date().timeIntervalSince(made) >= lifetime {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
