import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket on loopback, for clients that misbehave on purpose.
final class RawSocket: @unchecked Sendable {
    private(set) var fd: Int32

    /// Connects to 127.0.0.1:`port` from `source` (any 127.x.y.z: each is a distinct peer address).
    init(port: Int, source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIFailure("socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var from = Self.address(source, port: 0)
        var to = Self.address("127.0.0.1", port: port)
        let bound = withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let connected = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, connected == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw CLIFailure("connect from \(source) to port \(port): \(why)")
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    static func address(_ host: String, port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &a.sin_addr)
        return a
    }

    /// Sends all of `bytes` (errors ignored: the peer may be gone, which is the point).
    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads what arrives within the receive timeout (at most `limit` bytes); empty at EOF or error.
    func read(limit: Int = 4096) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, limit, 0) }
        return n > 0 ? Array(buffer.prefix(n)) : []
    }

    /// Waits up to the receive timeout for the daemon: true when it closed the connection
    /// (EOF or reset), false when nothing came. Data is read and dropped.
    func readOrClosed() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
        if n > 0 { return false }
        if n == 0 { return true }
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
    }

    func setReceiveTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: Int((milliseconds % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Closes with a FIN (orderly).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    /// Closes with a RST: SO_LINGER on with a zero timeout drops whatever is queued.
    func reset() {
        guard fd >= 0 else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        fd = -1
    }
}

/// A TCP relay on 127.0.0.1 in front of a daemon: forwards both ways and records every byte; it
/// may tamper once with what it forwards to the client, at byte `tamperAt` of that direction.
final class Relay: @unchecked Sendable {
    enum Tamper: String, CaseIterable, Sendable {
        /// One bit changed.
        case flip
        /// 100 bytes left out.
        case drop
        /// 100 bytes sent earlier sent again.
        case replay
        /// Two pieces of 100 bytes swapped.
        case reorder

        func apply(_ chunk: inout [UInt8], at i: Int, history: [UInt8]) {
            switch self {
            case .flip: chunk[i] ^= 0x10
            case .drop: chunk.removeSubrange(i..<min(chunk.count, i + 100))
            case .replay: chunk.insert(contentsOf: history[max(0, history.count - 400)..<max(0, history.count - 300)], at: i)
            case .reorder:
                guard chunk.count >= i + 200 else { chunk[i] ^= 0x10; return }
                let first = Array(chunk[i..<(i + 100)])
                chunk.replaceSubrange(i..<(i + 100), with: chunk[(i + 100)..<(i + 200)])
                chunk.replaceSubrange((i + 100)..<(i + 200), with: first)
            }
        }
    }

    private(set) var port = 0
    private let listener: Int32
    private let target: Int
    private let bytes = Mutex<[UInt8]>([])
    private let flipAfter: Int?
    private let tamper: Tamper
    private let threads = DispatchGroup()

    init(target: Int, flipAfter: Int? = nil, tamper: Tamper = .flip) throws {
        self.target = target
        self.flipAfter = flipAfter
        self.tamper = tamper
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var on: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = RawSocket.address("127.0.0.1", port: 0)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else { throw CLIFailure("relay: cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        threads.enter()
        Thread { [self] in
            defer { threads.leave() }
            for _ in 0..<10 {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                guard let upstream = try? RawSocket(port: target) else {
                    Glibc.close(client)
                    continue
                }
                // No receive timeout on this side: a quiet daemon must not look like a closed one.
                upstream.setReceiveTimeout(milliseconds: 0)
                let up = upstream.fd
                pump(from: client, to: up, flip: nil)
                pump(from: up, to: client, flip: flipAfter, keep: upstream)
            }
        }.start()
    }

    /// Everything that crossed the relay, both ways.
    var recorded: [UInt8] { bytes.withLock { $0 } }

    private func pump(from: Int32, to: Int32, flip: Int?, keep: RawSocket? = nil) {
        threads.enter()
        let flipped = Flag()
        let seen = Counter()
        Thread { [self] in
            defer {
                shutdown(to, Int32(SHUT_WR))
                if keep == nil { Glibc.close(from) }
                _ = keep
                threads.leave()
            }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            for _ in 0..<1_000_000 {
                let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, 65_536, 0) }
                guard n > 0 else { return }
                var chunk = Array(buffer.prefix(n))
                bytes.withLock { $0 += chunk }
                if let flip, !flipped.isSet, seen.value + n > flip {
                    let history = bytes.withLock { Array($0.suffix(4096)) }
                    tamper.apply(&chunk, at: max(0, flip - seen.value), history: history)
                    flipped.set()
                }
                seen.add(n)
                var offset = 0
                while offset < chunk.count {
                    let sent = chunk[offset...].withUnsafeBytes { send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { return }
                    offset += sent
                }
            }
        }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        _ = threads.wait(timeout: .now() + 10)
    }
}

/// A UDP socket on a loopback address, for capturing and replaying beacons.
final class RawDatagram: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init(host: String = "127.0.0.1", port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = RawSocket.address(host, port: port)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else {
            Glibc.close(fd)
            throw CLIFailure("udp bind \(host):\(port): \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    /// The next datagram (empty after the 10 s timeout).
    func receive() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 2048, 0) }
        return n > 0 ? Array(buffer.prefix(n)) : []
    }

    func send(_ bytes: [UInt8], to port: Int) {
        var to = RawSocket.address("127.0.0.1", port: port)
        _ = withUnsafePointer(to: &to) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    /// A UDP port free on 127.0.0.1 now.
    static func freePort() throws -> Int { try RawDatagram().port }
}
