import Replica

/// A batch frame's body compressed with Zstandard (RFC 8878) at its fastest levels, as
/// Automerge compresses its columns: the runs' values are text that repeats, and a batch shrinks
/// to about half for a few milliseconds per megabyte.
///
/// Compressing before encrypting leaks, through the length, how well a secret compresses with
/// text an attacker chose (CRIME). No one can use that here: only enrolled members can put text
/// into a batch, and a member receives every operation of the court anyway.
enum BatchCompression {
    /// Bodies shorter than this go as they are: a few operations gain nothing.
    static let minimumInput = 512

    /// `bytes[range]` compressed, or nil when that would not be shorter. Level 1, with the
    /// frame's content checksum: the session's AEAD already rules out damage on the way, but a
    /// peer's faulty compressor is then refused at once rather than as runs that do not verify.
    static func compress(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8]? {
        guard range.count >= minimumInput else { return nil }
        return Zstd.compress(bytes, range)
    }

    /// Decompresses `bytes[range]`, which must hold exactly `length` bytes compressed, in one
    /// frame; anything else (more, less, damaged, trailing bytes) is refused. The caller checks
    /// `length` against its bound first, so a small frame never makes this allocate more than a
    /// frame may hold.
    static func expand(_ bytes: [UInt8], _ range: Range<Int>, length: Int) throws -> [UInt8] {
        switch Zstd.expand(bytes, range, length: length) {
        case .success(let body): return body
        case .failure(let error):
            throw SyncError(.malformed, "a compressed batch \(error.reason)", hint: "the peer is damaged or hostile; nothing of the batch was used")
        }
    }
}
