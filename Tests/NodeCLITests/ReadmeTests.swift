import Foundation
import Testing

/// The README shows real output, not a transcript that drifted from the binary.
@Suite(.enabled(if: CLI.available, "build the sinkron binary first (scripts/test does)"))
struct ReadmeTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("README.md")

    /// The block between `<!-- sinkron --help -->` and `<!-- end sinkron --help -->`.
    static func shownHelp() throws -> String {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- sinkron --help -->\n```text\n"))
        let end = try #require(text.range(of: "\n```\n<!-- end sinkron --help -->", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    @Test func theHelpInTheReadmeIsTheBinarysOwn() throws {
        // ArgumentParser wraps at the terminal's width: the README shows it at 80 columns.
        let result = try CLI.exec(["--help"], env: ["COLUMNS": "80"])
        #expect(result.status == 0)
        let actual = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try Self.shownHelp()
        #expect(
            shown == actual,
            "README.md's `sinkron --help` block differs from the binary's; replace it with the output of `COLUMNS=80 sinkron --help`")
    }
}
