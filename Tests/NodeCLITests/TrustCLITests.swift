import Foundation
import Testing

/// End-to-end, as an outsider and a careless admin would try it: the built binary on real files.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"))
struct TrustCLITests {
    static func mode(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : 0
    }

    @Test func anOutsidersSameNameCourtIsRefusedNamingBothRoots() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (_, desks) = try DaemonTests.court(dir, desks: [("meja-1", "meja-satu")])
        let meja = desks[0]
        let outsider = CLI(home: dir.sub("outsider"))
        try outsider.ok("init", "--court", "PN Bengkalis", "--name", "palsu", "--role", "meja-satu")
        try outsider.ok("bug", "file", "--title", "laporan palsu", "--description", "x")
        try outsider.ok("export", dir.sub("palsu.bundle"))
        let before = try meja.ok("digest").stdout
        let refused = try meja.run(["import", dir.sub("palsu.bundle")])
        #expect(refused.status == 1)
        let roots = try [meja, outsider].map { cli in
            let members = try #require(try cli.json("members") as? [[String: Any]])
            return try #require(members.first { $0["admin"] as? Bool == true }?["publicKey"] as? String)
        }
        for root in roots {
            let fingerprint = stride(from: 0, to: 16, by: 4).map { String(Array(root)[$0..<$0 + 4]) }.joined(separator: " ")
            #expect(refused.stderr.contains(fingerprint), "\(refused.stderr)")
        }
        #expect(try meja.ok("digest").stdout == before)
    }

    @Test func exportNeverDestroysAFile() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let admin = CLI(home: dir.sub("admin"))
        try admin.ok("init", "--court", "PN Bengkalis", "--name", "kasubbag", "--role", "kasubbag")
        try admin.ok("task", "add", "--sop", "SERVER")
        let intoReplica = try admin.run(["export", dir.sub("admin/replica.db")])
        #expect(intoReplica.status == 1 && intoReplica.stderr.contains("home"))
        try admin.ok("verify")
        let existing = dir.sub("existing.bundle")
        try "simpan".write(toFile: existing, atomically: true, encoding: .utf8)
        let refused = try admin.run(["export", existing])
        #expect(refused.status == 1 && refused.stderr.contains("--force"))
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "simpan")
        try admin.ok("export", existing, "--force")
        #expect(Self.mode(existing) == 0o600)
        let fifo = dir.sub("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.sub("link"), withDestinationPath: existing)
        for target in [fifo, dir.sub("link"), dir.path, "/dev/null"] {
            let r = try admin.run(["export", target, "--force"])
            #expect(r.status == 1 && r.stderr.contains("regular files"), "\(target): \(r.stderr)")
        }
        let backup = try admin.run(["backup", dir.sub("admin.backup")])
        #expect(backup.status == 0 && backup.stdout.contains("private key"))
        #expect(Self.mode(dir.sub("admin.backup")) == 0o600)
    }

    /// A wrong code or a damaged invitation: exit 1 and nothing left behind; then the good one works.
    @Test func aFailedInitLeavesNothingAndTheGoodOneThenWorks() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let admin = CLI(home: dir.sub("admin"))
        try admin.ok("init", "--court", "PN Bengkalis", "--name", "kasubbag", "--role", "kasubbag")
        let invite = dir.sub("meja.invite")
        let receipt = try #require(try admin.json("invite", "--name", "meja-1", "--role", "meja-satu", "--out", invite) as? [String: Any])
        let code = try #require(receipt["code"] as? String)
        #expect(Self.mode(invite) == 0o600)
        let desk = CLI(home: dir.sub("desk"))
        let wrong = try desk.run(["init", "--invite", invite, "--code", "2345-6789-ABCD"])
        #expect(wrong.status == 1 && wrong.stderr.contains("code"))
        #expect(!FileManager.default.fileExists(atPath: desk.home))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: invite))
        bytes[bytes.count - 100] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: dir.sub("damaged.invite")))
        let damaged = try desk.run(["init", "--invite", dir.sub("damaged.invite"), "--code", code])
        #expect(damaged.status == 1 && damaged.stderr.contains("altered"))
        #expect(!FileManager.default.fileExists(atPath: desk.home))
        try desk.ok("init", "--invite", invite, "--code", code)
        try desk.ok("verify")
        let whoami = try #require(try desk.json("whoami") as? [String: Any])
        #expect(whoami["name"] as? String == "meja-1" && whoami["role"] as? String == "meja-satu")
    }

    @Test func filesArePrivateUnderUmask000() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let home = dir.sub("open")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
        chmod(home, 0o777)
        func sinkron(_ args: String...) throws -> CLI.Result {
            try CLI.exec(["/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\"", CLI.binary] + args + ["--home", home], shell: true)
        }
        #expect(try sinkron("init", "--court", "PN Bengkalis", "--name", "kasubbag", "--role", "kasubbag").status == 0)
        #expect(try sinkron("task", "add", "--sop", "SERVER").status == 0)
        #expect(Self.mode(home) == 0o700)
        for file in try FileManager.default.contentsOfDirectory(atPath: home) {
            #expect(Self.mode((home as NSString).appendingPathComponent(file)) == 0o600, "\(file)")
        }
        #expect(try sinkron("backup", dir.sub("b.backup")).status == 0)
        #expect(try sinkron("export", dir.sub("b.bundle")).status == 0)
        #expect(try sinkron("invite", "--name", "m", "--role", "meja-satu", "--out", dir.sub("m.invite")).status == 0)
        for file in ["b.backup", "b.bundle", "m.invite"] { #expect(Self.mode(dir.sub(file)) == 0o600, "\(file)") }
        chmod(home, 0o755)
        let tightened = try sinkron("whoami")
        #expect(tightened.status == 0 && tightened.stderr.contains("made private") && Self.mode(home) == 0o700)
    }
}
