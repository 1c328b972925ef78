import Foundation

/// Appends the compact binary encoding used on disk, in bundles and on the wire.
package struct BinaryWriter {
    package var bytes: [UInt8] = []

    package init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    package mutating func u8(_ v: UInt8) { bytes.append(v) }

    /// Unsigned LEB128.
    package mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    package mutating func u32be(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Writes `v` big-endian over the four bytes at `offset`: a length prefix reserved with
    /// `u32be(0)`, once what it measures is written.
    package mutating func setU32be(_ v: UInt32, at offset: Int) {
        for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: v >> (24 - 8 * k)) }
    }

    package mutating func raw(_ v: some Sequence<UInt8>) { bytes.append(contentsOf: v) }

    package mutating func id(_ v: ID128) {
        withUnsafeBytes(of: v.high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: v.low.bigEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    package mutating func data(_ d: some Collection<UInt8>) {
        varint(UInt64(d.count))
        bytes.append(contentsOf: d)
    }
}

/// Reads the compact binary encoding; every read is bounds-checked and throws on malformed input.
package struct BinaryReader {
    package let bytes: [UInt8]
    package var offset: Int
    package let end: Int

    package init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    package var isAtEnd: Bool { offset >= end }
    package var remaining: Int { end - offset }

    package mutating func u8() throws -> UInt8 {
        guard offset < end else { throw CodecError.truncated(at: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    package mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw CodecError.truncated(at: offset) }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw CodecError.malformed("varint overflows 64 bits at byte \(offset - 1)") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 {
                // One value, one encoding: a final zero byte after others is an overlong form.
                guard b != 0 || shift == 0 else { throw CodecError.malformed("varint at byte \(offset - 1) is not in its shortest form") }
                return result
            }
            shift += 7
            if shift > 63 { throw CodecError.malformed("varint longer than 10 bytes at byte \(offset - 1)") }
        }
    }

    package mutating func u32be() throws -> UInt32 {
        guard remaining >= 4 else { throw CodecError.truncated(at: offset) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    package mutating func raw(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw CodecError.truncated(at: offset) }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    package mutating func id() throws -> ID128 {
        guard remaining >= 16 else { throw CodecError.truncated(at: offset) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[offset + i]) }
        offset += 16
        return ID128(high: high, low: low)
    }

    /// A length-prefixed UTF-8 string of at most `limit` bytes.
    package mutating func string(limit: Int = 1 << 20) throws -> String {
        let count = try varint()
        guard count <= UInt64(limit) else { throw CodecError.malformed("string of \(count) bytes exceeds the limit of \(limit)") }
        return try Self.text(try raw(Int(count)))
    }

    /// The bytes at `range` (already read) as UTF-8 text, refused when not valid UTF-8.
    package func text(_ range: Range<Int>) throws -> String {
        try Self.text(bytes[range])
    }

    private static func text(_ slice: ArraySlice<UInt8>) throws -> String {
        if slice.isEmpty { return "" }
        // Most text here is ASCII, valid UTF-8 as it stands: decode it without the generic validator
        // (which costs more than the rest of an operation's decoding).
        let ascii = slice.withUnsafeBufferPointer { buffer in buffer.allSatisfy { $0 < 0x80 } }
        if ascii { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else { throw CodecError.malformed("string is not valid UTF-8") }
        return s
    }

    package mutating func data(limit: Int = 1 << 20) throws -> [UInt8] {
        Array(try dataSlice(limit: limit))
    }

    /// Length-prefixed bytes of at most `limit`, without copying them.
    package mutating func dataSlice(limit: Int = 1 << 20) throws -> ArraySlice<UInt8> {
        let count = try varint()
        guard count <= UInt64(limit) else { throw CodecError.malformed("data of \(count) bytes exceeds the limit of \(limit)") }
        return try raw(Int(count))
    }
}

/// What went wrong decoding bytes.
public struct CodecError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    static func truncated(at offset: Int) -> CodecError { CodecError(message: "input ends early at byte \(offset)") }
    static func malformed(_ why: String) -> CodecError { CodecError(message: why) }
}
