import CZstd

/// Zstandard (RFC 8878) at level 1, one frame with its content checksum: the compression of the
/// log's packed runs (`LogRuns`) and of the wire's batches.
package enum Zstd {
    /// `bytes[range]` compressed, or nil when that would not be shorter.
    package static func compress(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8]? {
        ZstdCompressor().compress(bytes, range)
    }

    /// Decompresses `bytes[range]`, which must hold exactly `length` bytes compressed in one frame
    /// whose checksum holds. Returns the bytes, or why not. The caller bounds `length` first.
    package static func expand(_ bytes: [UInt8], _ range: Range<Int>, length: Int) -> Result<[UInt8], ExpandError> {
        var out = [UInt8](repeating: 0, count: max(1, length))
        let produced = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in ZSTD_decompress(o.baseAddress, length, i.baseAddress! + range.lowerBound, range.count) }
        }
        if ZSTD_isError(produced) != 0 { return .failure(ExpandError(reason: "could not be decompressed (\(String(cString: ZSTD_getErrorName(produced))))")) }
        guard produced == length else { return .failure(ExpandError(reason: "does not decompress to the \(length) bytes it announces")) }
        out.removeSubrange(length...)
        return .success(out)
    }

    package struct ExpandError: Error {
        package let reason: String
    }
}

/// A Zstandard compression context, kept for many small inputs (setting one up costs more than
/// compressing a 4 KB run).
package final class ZstdCompressor {
    private let context: OpaquePointer?

    package init() {
        context = ZSTD_createCCtx()
        if let context {
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, 1)
            ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// `bytes[range]` compressed (level 1, with the content checksum), or nil when that would not
    /// be shorter.
    package func compress(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8]? {
        guard !range.isEmpty, let context else { return nil }
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(range.count))
        let written = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in ZSTD_compress2(context, o.baseAddress, o.count, i.baseAddress! + range.lowerBound, range.count) }
        }
        guard ZSTD_isError(written) == 0, written < range.count else { return nil }
        out.removeSubrange(written...)
        return out
    }
}
