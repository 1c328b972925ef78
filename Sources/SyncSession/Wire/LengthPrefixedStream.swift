/// A byte stream cut at `u32` big-endian length prefixes: what both the TCP messages
/// (`WireDecoder`) and the frames inside the encrypted channel (`FrameDecoder`) are made of.
/// A prefix above the limit, or of zero, is refused as soon as its four bytes arrive, so a peer
/// can make it buffer at most one unit of the limit.
struct LengthPrefixedStream: Sendable {
    private(set) var bytes: [UInt8] = []
    private var start = 0

    /// Bytes received but not yet consumed (a partial unit).
    var buffered: Int { bytes.count - start }

    mutating func append(_ more: some Collection<UInt8>) {
        if start > 0 && (start == bytes.count || start >= 1 << 16) {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// Where the next complete unit's body lies in `bytes` (after its prefix), or nil when more
    /// bytes are needed. It stays in the stream until `consume`. `noun` names a unit in errors.
    func next(limit: Int, noun: String, hint: String) throws -> Range<Int>? {
        guard buffered >= 4 else { return nil }
        let length = Int(bytes[start]) << 24 | Int(bytes[start + 1]) << 16 | Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
        guard length <= limit else {
            throw SyncError(.frameTooLarge, "the peer announced a \(noun) of \(length) bytes; the limit is \(limit)", hint: hint)
        }
        guard length >= 1 else { throw SyncError(.malformed, "the peer sent an empty \(noun)") }
        guard buffered >= 4 + length else { return nil }
        return start + 4..<start + 4 + length
    }

    /// Drops everything up to the end of `unit`, a range `next` returned.
    mutating func consume(_ unit: Range<Int>) { start = unit.upperBound }
}
