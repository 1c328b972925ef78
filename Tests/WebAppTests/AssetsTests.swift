import Foundation
import ReplicaTesting
import Testing

@testable import WebApp

@Suite("Web assets") struct AssetsTests {
    @Test func theFirstFolderHoldingEveryAssetServesAndNoneMeansNone() throws {
        let sandbox = try Sandbox("assets")
        let empty = URL(fileURLWithPath: sandbox.path("empty"))
        let partial = URL(fileURLWithPath: sandbox.path("partial"))
        let whole = URL(fileURLWithPath: sandbox.path("whole"))
        for dir in [empty, partial, whole] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        try "p".write(to: partial.appendingPathComponent("app.css"), atomically: true, encoding: .utf8)
        try "body{}".write(to: whole.appendingPathComponent("app.css"), atomically: true, encoding: .utf8)
        try "x()".write(to: whole.appendingPathComponent("app.js"), atomically: true, encoding: .utf8)

        let files = Assets.load(from: [empty, partial, whole])
        #expect(files["app.css"]?.body == "body{}" && files["app.js"]?.body == "x()")
        #expect(files["app.css"]?.type.hasPrefix("text/css") == true)
        #expect(Assets.load(from: [empty, partial]).isEmpty)
        #expect(Assets.load(from: []).isEmpty)
    }

    @Test func anInstalledBinaryLooksInShareBesideItsBin() {
        let folders = Assets.folders(executableDirectory: URL(fileURLWithPath: "/usr/local/bin"), sourceFile: "/src/Sources/WebApp/Support/Assets.swift")
        #expect(folders.map(\.path) == [
            "/usr/local/bin/Sinkron_WebApp.resources/Assets", "/usr/local/share/sinkron/Assets", "/src/Sources/WebApp/Assets",
        ])
    }

    @Test func theAssetsOfThisBuildAreFound() {
        #expect(Assets.files.count == Assets.names.count)
        #expect(Assets.files["app.js"]?.body.isEmpty == false)
    }
}
