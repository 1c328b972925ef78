import CZstd

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
        guard range.count >= minimumInput, let context = ZSTD_createCCtx() else { return nil }
        defer { ZSTD_freeCCtx(context) }
        guard ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, 1)) == 0,
            ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)) == 0
        else { return nil }
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(range.count))
        let written = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in ZSTD_compress2(context, o.baseAddress, o.count, i.baseAddress! + range.lowerBound, range.count) }
        }
        guard ZSTD_isError(written) == 0, written < range.count else { return nil }
        out.removeSubrange(written...)
        return out
    }

    /// Decompresses `bytes[range]`, which must hold exactly `length` bytes compressed, in one
    /// frame; anything else (more, less, damaged, trailing bytes) is refused. The caller checks
    /// `length` against its bound first, so a small frame never makes this allocate more than a
    /// frame may hold.
    static func expand(_ bytes: [UInt8], _ range: Range<Int>, length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(1, length))
        let produced = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in ZSTD_decompress(o.baseAddress, length, i.baseAddress! + range.lowerBound, range.count) }
        }
        guard ZSTD_isError(produced) == 0, produced == length else {
            let why =
                ZSTD_isError(produced) != 0 ? "could not be decompressed (\(String(cString: ZSTD_getErrorName(produced))))"
                : "does not decompress to the \(length) bytes it announces"
            throw SyncError(.malformed, "a compressed batch \(why)", hint: "the peer is damaged or hostile; nothing of the batch was used")
        }
        out.removeSubrange(length...)
        return out
    }
}
