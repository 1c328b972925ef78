/// A piece of HTML. Literal text in a template is trusted markup; every interpolated `String`
/// is escaped, so a value from the replica (which may come from another PC) can never become
/// markup. Only another `HTML` value is inserted as it is.
public struct HTML: Sendable, ExpressibleByStringInterpolation, Equatable {
    public var text: String

    public init(stringLiteral value: String) { text = value }
    public init(stringInterpolation: Interpolation) { text = stringInterpolation.out }
    /// Markup built by code, not from data (e.g. joined fragments).
    init(trusted: String) { text = trusted }

    public static let empty = HTML(trusted: "")

    public struct Interpolation: StringInterpolationProtocol {
        var out = ""
        public init(literalCapacity: Int, interpolationCount: Int) { out.reserveCapacity(literalCapacity + interpolationCount * 16) }
        public mutating func appendLiteral(_ literal: String) { out += literal }
        public mutating func appendInterpolation(_ value: String) { out += HTML.escape(value) }
        public mutating func appendInterpolation(_ value: String?) { out += HTML.escape(value ?? "") }
        public mutating func appendInterpolation(_ value: Int) { out += String(value) }
        public mutating func appendInterpolation(_ value: Int64) { out += String(value) }
        public mutating func appendInterpolation(_ value: Double) { out += String(format: "%.1f", value) }
        public mutating func appendInterpolation(_ value: HTML) { out += value.text }
        public mutating func appendInterpolation(_ values: [HTML]) { for v in values { out += v.text } }
        /// Markup that appears only when `condition` holds (an attribute, a class).
        public mutating func appendInterpolation(if condition: Bool, _ markup: HTML) { if condition { out += markup.text } }
    }

    /// Escapes text for element content and quoted attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

extension Array where Element == HTML {
    func joined() -> HTML { HTML(trusted: map(\.text).joined()) }
}

/// Percent-encodes a value for a URL query or path segment.
func urlEncode(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
}

import Foundation

extension HTML {
    static func + (a: HTML, b: HTML) -> HTML { HTML(trusted: a.text + b.text) }
}
