import Foundation
import Hummingbird

/// The stylesheet and script, shipped as package resources and read once.
///
/// They are looked for, in order, beside the executable as a build lays them out
/// (`Sinkron_WebApp.resources/Assets`), in `share/sinkron/Assets` beside the executable's `bin`
/// (where `scripts/install-service` puts them), and in the source tree the binary was built from.
/// Not through `Bundle.module`: it stops the process when the build tree is gone, so a copied
/// binary would die on its first page. Without the files, their requests get 404.
enum Assets {
    static let names = [("app.css", "text/css; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8")]

    static let files: [String: (type: String, body: String)] = load(from: folders(executableDirectory: Bundle.main.bundleURL, sourceFile: #filePath))

    /// The folders to look in, in order; `sourceFile` is this file as the compiler saw it.
    static func folders(executableDirectory: URL, sourceFile: String) -> [URL] {
        [
            executableDirectory.appendingPathComponent("Sinkron_WebApp.resources/Assets"),
            executableDirectory.deletingLastPathComponent().appendingPathComponent("share/sinkron/Assets"),
            URL(fileURLWithPath: sourceFile).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Assets"),
        ]
    }

    /// The assets of the first folder that holds them all.
    static func load(from folders: [URL]) -> [String: (type: String, body: String)] {
        for folder in folders {
            var out: [String: (String, String)] = [:]
            for (name, type) in names {
                if let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) { out[name] = (type, text) }
            }
            if out.count == names.count { return out }
        }
        return [:]
    }

    static func response(_ name: String) throws -> Response {
        guard let file = files[name] else { return Response(status: .notFound) }
        return Response(
            status: .ok, headers: [.contentType: file.type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: file.body)))
    }
}
