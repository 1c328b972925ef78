import Foundation
import ReplicaTesting
import Testing

@testable import Replica

/// Raw SQL on a replica, as an attacker with file access would do.
enum Tamper {
    static func sql(home: String, _ statement: String) throws {
        let db = try Database(path: Replica.databasePath(home: home), create: false)
        try db.execute(statement)
        db.close()
    }
}

/// Kill -9 in the middle of writes: nothing acknowledged may be lost, and the log must verify.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"))
struct CrashTests {
    /// Starts `sinkron dev fill`, reads its `committed N` acknowledgements, and SIGKILLs it
    /// after `killAfter` of them, mid-transaction.
    static func fillAndKill(home: String, killAfter: Int, batch: Int) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["dev", "fill", "--records", "200", "--sets", "200000", "--batch", "\(batch)", "--home", home]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var acknowledged = 0
        var buffer = Data()
        let handle = out.fileHandleForReading
        while acknowledged < killAfter {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix("committed "), let n = Int(line.dropFirst(10)) { acknowledged = n }
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Anything printed before the kill was acknowledged too.
        buffer.append(handle.readDataToEndOfFile())
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("committed ") {
            acknowledged = max(acknowledged, Int(line.dropFirst(10)) ?? 0)
        }
        #expect(process.terminationReason == .uncaughtSignal, "the writer finished before it could be killed")
        return acknowledged
    }

    @Test(arguments: [(3, 50), (17, 200), (40, 7)])
    func killedWriterLosesNothingAcknowledged(killAfter: Int, batch: Int) throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let cli = CLI(home: dir.sub("r"))
        try cli.ok("init", "--court", "PN Bls", "--name", "w", "--role", "meja-satu")
        var acknowledged = 0
        for round in 1...2 {
            acknowledged += try Self.fillAndKill(home: dir.sub("r"), killAfter: killAfter * round, batch: batch)
            let verify = try #require(try cli.json("verify") as? [String: Any])
            #expect(verify["problems"] as? [String] == [])
            // Every acknowledged operation is there (plus the genesis and the court's seeded data);
            // at most one unacknowledged batch more.
            let base = 1 + Sandbox.seed
            let ops = try #require((try cli.json("whoami") as? [String: Any])?["operations"] as? Int)
            #expect(ops >= acknowledged + base)
            #expect(ops <= acknowledged + base + batch)
            acknowledged = ops - base
        }
        // The replica still takes desk work after the crashes.
        try cli.ok("bug", "file", "--title", "after crash", "--description", "still works")
    }
}
