import CZstd

#if canImport(Glibc)
    import Glibc
#endif

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
        let context = decompressionContext()
        let produced = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in
                if let context { ZSTD_decompressDCtx(context, o.baseAddress, length, i.baseAddress! + range.lowerBound, range.count) }
                else { ZSTD_decompress(o.baseAddress, length, i.baseAddress! + range.lowerBound, range.count) }
            }
        }
        if ZSTD_isError(produced) != 0 { return .failure(ExpandError(reason: "could not be decompressed (\(String(cString: ZSTD_getErrorName(produced))))")) }
        guard produced == length else { return .failure(ExpandError(reason: "does not decompress to the \(length) bytes it announces")) }
        out.removeSubrange(length...)
        return .success(out)
    }

    /// This thread's decompression context, made on first use and freed when the thread ends.
    ///
    /// `ZSTD_decompress` makes a context per call, and making one runs `cpuid` twice (to choose
    /// its code paths), which a virtual machine traps: a sync's sender unpacks one log run per 25
    /// operations, and that cost it a fifth of its CPU time. A context is reset at the start of
    /// each frame, so it may be used again after a frame that failed.
    private static func decompressionContext() -> OpaquePointer? {
        if let held = pthread_getspecific(contextKey) { return OpaquePointer(held) }
        guard let context = ZSTD_createDCtx() else { return nil }
        guard pthread_setspecific(contextKey, UnsafeRawPointer(context)) == 0 else {
            ZSTD_freeDCtx(context)
            return nil
        }
        return context
    }

    private static let contextKey: pthread_key_t = {
        var key = pthread_key_t()
        let made = pthread_key_create(&key) { held in
            if let held { ZSTD_freeDCtx(OpaquePointer(held)) }
        }
        precondition(made == 0, "pthread_key_create failed (\(made))")
        return key
    }()

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
