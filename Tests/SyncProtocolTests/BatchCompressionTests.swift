import Foundation
import Replica
import Testing

@testable import SyncSession

/// Batch frames whose body goes compressed (frame type 8): what they decode to, and what a
/// hostile peer's compressed frames cannot do (make the receiver allocate beyond a frame's bound,
/// or pass damaged data for runs).
@Suite("Wire: compressed batches")
struct BatchCompressionTests {
    /// A batch of real runs: the admin's court data and a few hundred bug reports.
    static func batch() throws -> (runs: [OperationRun], frame: [UInt8]) {
        let court = Court()
        let admin = try court.admin()
        try admin.fileBugs(300, prefix: "admin")
        let runs = try admin.nextBatch(after: VersionVector(), maxOperations: 10_000)
        return (runs, Frame.batch(id: 7, runs: runs).encoded())
    }

    static func decode(_ bytes: [UInt8]) throws -> Frame? {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        return try decoder.next()
    }

    /// A frame of type 8 by hand: the announced length, then `data`.
    static func compressedFrame(announcing length: UInt64, _ data: [UInt8]) -> [UInt8] {
        var w = BinaryWriter(capacity: data.count + 16)
        w.u32be(0)
        w.u8(Frame.Kind.compressedBatch.rawValue)
        w.varint(length)
        w.raw(data[...])
        w.setU32be(UInt32(w.bytes.count - 4), at: 0)
        return w.bytes
    }

    static func refused(_ bytes: [UInt8], containing text: String) -> Bool {
        do {
            _ = try decode(bytes)
            return false
        } catch let error as SyncError {
            return error.code == .malformed && error.message.contains(text)
        } catch {
            return false
        }
    }

    @Test("a batch goes compressed, about half its size, and decodes to the same runs; a small one goes as it is")
    func roundTrip() throws {
        let (runs, frame) = try Self.batch()
        var context = OperationRun.EncodingContext()
        let plain = Frame.batch(id: 7, runs: runs).encodedPlain(runs: &context)
        #expect(plain[4] == Frame.Kind.batch.rawValue && Frame.compressed(plain) == frame)
        #expect(frame[4] == Frame.Kind.compressedBatch.rawValue)
        #expect(Double(frame.count) < 0.7 * Double(plain.count), "\(frame.count) of \(plain.count) bytes")
        #expect(try Self.decode(plain) == .batch(id: 7, runs: runs), "the plain form decodes too")
        #expect(try Self.decode(frame) == .batch(id: 7, runs: runs))
        let small = Frame.batch(id: 1, runs: [OperationRun(origin: runs[0].origin, firstSeq: 1, entries: Array(runs[0].entries.prefix(1)))])
        let smallBytes = small.encoded()
        #expect(smallBytes[4] == Frame.Kind.batch.rawValue)
        #expect(try Self.decode(smallBytes) == small)
    }

    @Test("a frame that would decompress beyond a frame's bound is refused; nothing beyond that bound is allocated")
    func bombsAreRefused() throws {
        // 24 MiB of zeros compress to a few hundred bytes.
        let zeros = [UInt8](repeating: 0, count: 24 << 20)
        let bomb = try #require(BatchCompression.compress(zeros, 0..<zeros.count))
        #expect(bomb.count < 4096)
        #expect(Self.refused(Self.compressedFrame(announcing: UInt64(zeros.count), bomb), containing: "announces"))
        // Announcing less than it holds does not help: decompression stops at the announced length.
        #expect(Self.refused(Self.compressedFrame(announcing: UInt64(Frame.maxFrameSize), bomb), containing: "could not be decompressed"))
    }

    @Test("damaged, cut, padded or mislabelled compressed batches are refused, never decoded as runs")
    func damageIsRefused() throws {
        let (_, frame) = try Self.batch()
        var r = BinaryReader(frame, offset: 5, end: frame.count)
        let length = try r.varint()
        let data = Array(frame[r.offset...])
        #expect(Self.refused(Self.compressedFrame(announcing: length, Array(data.dropLast(7))), containing: "decompress"))
        #expect(Self.refused(Self.compressedFrame(announcing: length, data + [1, 2, 3]), containing: "decompress"))
        #expect(Self.refused(Self.compressedFrame(announcing: length - 1, data), containing: "decompress"))
        #expect(Self.refused(Self.compressedFrame(announcing: length + 1, data), containing: "announces"))
        #expect(Self.refused(Self.compressedFrame(announcing: length, [UInt8](repeating: 0x5A, count: data.count)), containing: "decompress"))
        // A flipped bit inside the compressed blocks changes the content: the frame's checksum
        // refuses it, wherever it falls.
        for position in stride(from: data.count / 4, to: data.count * 3 / 4, by: max(1, data.count / 16)) {
            var flipped = data
            flipped[position] ^= 0x40
            #expect(Self.refused(Self.compressedFrame(announcing: length, flipped), containing: "decompress"), "bit flipped at \(position) of \(data.count)")
        }
        // A compressed body that decompresses to something that is not a batch body.
        let notABatch = try #require(BatchCompression.compress([UInt8](repeating: 0xFF, count: 600), 0..<600))
        #expect(Self.refused(Self.compressedFrame(announcing: 600, notABatch), containing: "malformed"))
    }
}
