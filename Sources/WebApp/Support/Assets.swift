import Foundation
import Hummingbird

/// The stylesheet and script, shipped as package resources and read once.
enum Assets {
    static let files: [String: (type: String, body: String)] = {
        var out: [String: (String, String)] = [:]
        for (name, type) in [("app.css", "text/css; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8")] {
            let parts = name.split(separator: ".")
            if let url = Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Assets"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            {
                out[name] = (type, text)
            }
        }
        return out
    }()

    static func response(_ name: String) throws -> Response {
        guard let file = files[name] else { return Response(status: .notFound) }
        return Response(
            status: .ok, headers: [.contentType: file.type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: file.body)))
    }
}
