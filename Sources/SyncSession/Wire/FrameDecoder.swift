import Replica

/// Cuts a byte stream into frames. Refuses a length prefix above the limit as soon as its four
/// bytes arrive, so a hostile peer can make it buffer at most one frame of `maxFrameSize`.
public struct FrameDecoder: Sendable {
    public let maxFrameSize: Int
    private var stream = LengthPrefixedStream()
    /// The ids earlier batches of this stream sent inline.
    private var runs = OperationRun.DecodingContext()

    public init(maxFrameSize: Int = Frame.maxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet decoded (a partial frame).
    public var buffered: Int { stream.buffered }

    public mutating func append(_ bytes: some Collection<UInt8>) { stream.append(bytes) }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws -> Frame? {
        guard let unit = try stream.next(limit: maxFrameSize, noun: "frame", hint: "the peer is damaged or hostile; nothing of this frame was read") else {
            return nil
        }
        let frame = try Frame.decode(stream.bytes, offset: unit.lowerBound, end: unit.upperBound, runs: &runs)
        stream.consume(unit)
        return frame
    }
}
