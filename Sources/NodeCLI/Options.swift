import ArgumentParser
import Foundation
import Replica
import SyncProtocol

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The replica's folder (default: $SINKRON_HOME, else ~/.sinkron).")
    var home: String?

    @Flag(name: .long, help: "Print machine-readable JSON on stdout (errors too).")
    var json = false

    var resolvedHome: String {
        if let home, !home.isEmpty { return home }
        if let env = ProcessInfo.processInfo.environment["SINKRON_HOME"], !env.isEmpty { return env }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".sinkron")
    }

    func open() throws -> Replica {
        let replica = try Replica(home: resolvedHome)
        for line in replica.tightened { Output.note("made private (others could read the replica and its key): \(line)") }
        // A sync cut off before its end (a `sinkron sync` interrupted, a daemon killed) left what
        // it received in the log, not yet in the tables: merged here, so that what was
        // acknowledged also shows. A running daemon merges at the end of its session instead.
        if (try? replica.hasUnmerged()) == true, DaemonStatus.read(home: resolvedHome) == nil {
            do {
                try replica.mergeUnmerged()
            } catch {
                Output.note("operations an interrupted sync received are not merged yet (\(error)); the next write merges them")
            }
        }
        return replica
    }
}

/// Options of commands that write: who, in person, did it.
struct AuthorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: "The person doing this at the desk (default: the node's name).")
    var person: String?

    var author: String { person?.trimmingCharacters(in: .whitespaces) ?? "" }
}

/// Runs a command body, printing errors as the user (or a script) needs them.
func perform(_ global: GlobalOptions, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ReplicaError {
        Output.error(code: error.code.rawValue, message: error.message, hint: error.hint, json: global.json)
        throw ExitCode(error.code == .fork ? 2 : 1)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        Output.error(code: "internal", message: "\(error)", hint: nil, json: global.json)
        throw ExitCode(1)
    }
}
