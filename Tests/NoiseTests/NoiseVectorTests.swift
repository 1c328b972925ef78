import Crypto
import Foundation
import Noise
import Testing

/// The published test vectors for Noise_XX_25519_ChaChaPoly_SHA256: cacophony's
/// `vectors/cacophony.txt` (public domain), the entries for that protocol name, committed
/// beside this file.
@Suite("Noise_XX_25519_ChaChaPoly_SHA256 against the cacophony vectors")
struct NoiseVectorTests {
    struct Vectors: Decodable {
        struct Vector: Decodable {
            struct Message: Decodable {
                let payload: String
                let ciphertext: String
            }

            let protocol_name: String
            let init_prologue: String
            let init_static: String
            let init_ephemeral: String
            let resp_prologue: String
            let resp_static: String
            let resp_ephemeral: String
            let handshake_hash: String
            let messages: [Message]
        }

        let vectors: [Vector]
    }

    static let vectors: [Vectors.Vector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cacophony-XX_25519_ChaChaPoly_SHA256.json")
        guard let data = try? Data(contentsOf: url), let decoded = try? JSONDecoder().decode(Vectors.self, from: data) else { return [] }
        return decoded.vectors
    }()

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func key(_ hex: String) throws -> Curve25519.KeyAgreement.PrivateKey {
        try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes(hex))
    }

    @Test("the committed vectors are there")
    func present() {
        #expect(Self.vectors.count >= 1)
        #expect(Self.vectors.allSatisfy { $0.protocol_name == "Noise_XX_25519_ChaChaPoly_SHA256" })
    }

    @Test("handshake and transport messages match byte for byte, both ways", arguments: vectors.indices)
    func vector(_ index: Int) throws {
        let v = Self.vectors[index]
        var initiator = HandshakeState(
            initiator: true, prologue: Self.bytes(v.init_prologue), staticKey: try Self.key(v.init_static), ephemeralKey: try Self.key(v.init_ephemeral))
        var responder = HandshakeState(
            initiator: false, prologue: Self.bytes(v.resp_prologue), staticKey: try Self.key(v.resp_static), ephemeralKey: try Self.key(v.resp_ephemeral))
        var iSend: CipherState?
        var iReceive: CipherState?
        var rSend: CipherState?
        var rReceive: CipherState?
        for (i, message) in v.messages.enumerated() {
            let payload = Self.bytes(message.payload)
            let expected = Self.bytes(message.ciphertext)
            // Messages alternate, the initiator first, through the handshake and after it.
            let fromInitiator = i % 2 == 0
            if !initiator.isFinished {
                let written = fromInitiator ? try initiator.writeMessage(payload) : try responder.writeMessage(payload)
                #expect(written == expected, "message \(i)")
                let read = fromInitiator ? try responder.readMessage(written) : try initiator.readMessage(written)
                #expect(read == payload, "message \(i)")
                if initiator.isFinished {
                    #expect(responder.isFinished)
                    #expect(initiator.handshakeHash == Self.bytes(v.handshake_hash))
                    #expect(responder.handshakeHash == Self.bytes(v.handshake_hash))
                    (iSend, iReceive) = try #require(initiator.transport)
                    (rSend, rReceive) = try #require(responder.transport)
                }
                continue
            }
            let written = fromInitiator ? try iSend!.encrypt(payload, ad: []) : try rSend!.encrypt(payload, ad: [])
            #expect(written == expected, "message \(i)")
            let read = fromInitiator ? try rReceive!.decrypt(written, ad: []) : try iReceive!.decrypt(written, ad: [])
            #expect(read == payload, "message \(i)")
        }
        #expect(initiator.remoteStatic == Array(try Self.key(v.resp_static).publicKey.rawRepresentation))
        #expect(responder.remoteStatic == Array(try Self.key(v.init_static).publicKey.rawRepresentation))
    }

    @Test("another prologue, a flipped bit or a replayed message fails to authenticate")
    func tampering() throws {
        func pair(_ p1: [UInt8], _ p2: [UInt8]) -> (HandshakeState, HandshakeState) {
            (HandshakeState(initiator: true, prologue: p1, staticKey: .init()), HandshakeState(initiator: false, prologue: p2, staticKey: .init()))
        }
        var (i, r) = pair([1], [2])
        _ = try r.readMessage(try i.writeMessage())
        let second = try r.writeMessage()
        #expect(throws: NoiseError.self) { _ = try i.readMessage(second) }

        (i, r) = pair([1], [1])
        _ = try r.readMessage(try i.writeMessage())
        var flipped = try r.writeMessage([7, 7])
        flipped[40] ^= 1
        #expect(throws: NoiseError.self) { _ = try i.readMessage(flipped) }

        (i, r) = pair([1], [1])
        _ = try r.readMessage(try i.writeMessage())
        _ = try i.readMessage(try r.writeMessage())
        _ = try r.readMessage(try i.writeMessage())
        var (send, _) = try #require(i.transport)
        var (_, receive) = try #require(r.transport)
        let one = try send.encrypt([1], ad: [])
        let two = try send.encrypt([2], ad: [])
        #expect(throws: NoiseError.self) { _ = try receive.decrypt(two, ad: []) }  // reordered
        #expect(try receive.decrypt(one, ad: []) == [1])
        #expect(throws: NoiseError.self) { _ = try receive.decrypt(one, ad: []) }  // replayed
        #expect(try receive.decrypt(two, ad: []) == [2])
    }
}
