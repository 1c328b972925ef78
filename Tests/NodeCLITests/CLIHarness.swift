import Foundation
import Testing

/// Runs the built `sinkron` binary as a child process, as a user's script would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as JSON.
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed])
        }
    }

    /// The binary: $SINKRON_BIN, else .build/debug/sinkron under the package root.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["SINKRON_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/sinkron").path
    }()

    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let home: String

    @discardableResult
    func run(_ arguments: [String], env: [String: String] = [:]) throws -> Result {
        // Options may follow the subcommand's arguments, so --home goes last.
        try CLI.exec(arguments + ["--home", home], env: env)
    }

    /// Runs and requires exit status 0.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let r = try run(arguments)
        #expect(r.status == 0, "sinkron \(arguments.joined(separator: " ")) failed: \(r.stderr)", sourceLocation: sourceLocation)
        return r
    }

    /// Runs with --json and returns the parsed output (requires exit status 0).
    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let r = try run(arguments + ["--json"])
        #expect(r.status == 0, "sinkron \(arguments.joined(separator: " ")) failed: \(r.stderr)", sourceLocation: sourceLocation)
        return try r.json()
    }

    /// Runs the binary with `arguments`; with `shell`, `arguments[0]` is the program to run instead.
    static func exec(_ arguments: [String], env: [String: String] = [:], shell: Bool = false) throws -> Result {
        let args = shell ? Array(arguments.dropFirst()) : arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shell ? arguments[0] : binary)
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SINKRON_HOME")
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        // Output goes to files, not pipes: a daemon that another test starts meanwhile inherits
        // open descriptors, and would hold a pipe's write end open (no EOF until it exits).
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sinkron-cli-\(UUID().uuidString)").path
        defer { for s in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + s) } }
        for s in [".out", ".err"] { _ = FileManager.default.createFile(atPath: base + s, contents: nil) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? Data(contentsOf: URL(fileURLWithPath: base + ".out"))) ?? Data()
        let stderr = (try? Data(contentsOf: URL(fileURLWithPath: base + ".err"))) ?? Data()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

}

/// A fresh temporary directory, removed by `remove()`.
struct TempDir {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sinkron-e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
