import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sinkron web`, `serve --web`, `open` and `resolve`, run as a user would.
@Suite("Web commands", .enabled(if: CLI.available)) struct WebCommandTests {
    @Test func serveWithWebSaysWhereItListensAndOpenPrintsASignInLink() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let cli = CLI(home: dir.sub("k"))
        try cli.ok("init", "--court", "PN Bengkalis", "--name", "kasubbag-ptip", "--role", "kasubbag")
        let before = try cli.run(["open"])
        #expect(before.status == 1 && before.stderr.contains("has not been started"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve", "--home", cli.home, "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let log = LogBuffer()
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { log.append(String(decoding: data, as: UTF8.self)) }
        }
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var base = ""
        for _ in 0..<200 where base.isEmpty {
            if let range = log.value.range(of: #"listening on http://127\.0\.0\.1:\d+/"#, options: .regularExpression) {
                base = String(log.value[range].dropFirst("listening on ".count).dropLast())
            } else {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        #expect(log.value.contains("loopback only"), "\(log.value)")
        #expect(!base.isEmpty)
        let (_, response) = try await URLSession.shared.data(from: URL(string: base + "/records")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 401, "no session, no page")
        let link = try cli.ok("open", "--no-browser").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix(base + "/login?token="))
        let refused = try cli.run(["web", "--listen", "0.0.0.0:7080"])
        #expect(refused.status == 64 && refused.stderr.contains("loopback only"))
    }

    @Test func resolveKeepsOneWriteOfAConflictThroughTheSameLibraryCall() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let admin = CLI(home: dir.sub("k"))
        try admin.ok("init", "--court", "PN Bengkalis", "--name", "kasubbag-ptip", "--role", "kasubbag")
        let receipt = try #require(try admin.json("invite", "--name", "meja-1", "--role", "meja-satu", "--out", dir.sub("m.invite")) as? [String: Any])
        let meja = CLI(home: dir.sub("m"))
        try meja.ok("init", "--invite", dir.sub("m.invite"), "--code", try #require(receipt["code"] as? String))
        try meja.ok("bug", "file", "--title", "a", "--description", "d")
        try meja.ok("export", dir.sub("b1"))
        try admin.ok("import", dir.sub("b1"))
        let id = String(((try meja.json("list") as? [[String: Any]])?.first?["id"] as? String ?? "").prefix(8))
        try meja.ok("set", id, "title", "dari meja")
        try admin.ok("set", id, "title", "dari kasubbag")
        try meja.ok("export", dir.sub("b2"))
        try admin.ok("import", dir.sub("b2"))
        let conflicts = try admin.json("conflicts") as? [String: Any]
        let pair = try #require((conflicts?["conflicts"] as? [[String: Any]])?.first)
        let loser = try #require(pair["loser"] as? String)
        let kept = try admin.ok("resolve", id, "title", "--keep", loser, "--as", "Bu Sari").stdout
        #expect(kept.contains("kept title = \(pair["loserValue"] as? String ?? "?")"))
        let show = try admin.json("show", id) as? [String: Any]
        #expect((show?["fields"] as? [String: Any])?["title"] as? String == pair["loserValue"] as? String)
        let bad = try admin.run(["resolve", id, "title", "--keep", "nonsense"])
        #expect(bad.status == 1 && bad.stderr.contains("not an operation id"))
    }
}
