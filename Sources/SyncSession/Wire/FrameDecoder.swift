import Replica

/// Cuts a byte stream into frames. Refuses a length prefix above the limit as soon as its four
/// bytes arrive, so a hostile peer can make it buffer at most one frame of `maxFrameSize`.
public struct FrameDecoder: Sendable {
    public let maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// The ids earlier batches of this stream sent inline.
    private var runs = OperationRun.DecodingContext()

    public init(maxFrameSize: Int = Frame.maxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet decoded (a partial frame).
    public var buffered: Int { buffer.count - start }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && (start == buffer.count || start >= 1 << 16) {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws -> Frame? {
        guard buffered >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= maxFrameSize else {
            throw SyncError(.frameTooLarge, "the peer announced a frame of \(length) bytes; the limit is \(maxFrameSize)",
                hint: "the peer is damaged or hostile; nothing of this frame was read")
        }
        guard length >= 1 else { throw SyncError(.malformed, "the peer sent an empty frame") }
        guard buffered >= 4 + length else { return nil }
        let frame = try Frame.decode(buffer, offset: start + 4, end: start + 4 + length, runs: &runs)
        start += 4 + length
        return frame
    }
}
