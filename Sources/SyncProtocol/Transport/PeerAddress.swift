import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// A peer's `HOST:PORT` (`[v6]:PORT` for IPv6 literals).
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws {
        let text = text.trimmingCharacters(in: .whitespaces)
        var host: Substring
        var portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw Self.invalid(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw Self.invalid(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { throw Self.invalid(text) }
        self.init(host: String(host), port: port)
    }

    static func invalid(_ text: String) -> SyncError {
        SyncError(.connection, "\"\(text)\" is not an address", hint: "write HOST:PORT, e.g. 192.168.1.20:7070 or [fe80::1]:7070")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Resolves the host (numeric addresses at once; names through the system resolver).
    func resolve(datagram: Bool = false) throws -> sockaddr_storage {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32((datagram ? SOCK_DGRAM : SOCK_STREAM).rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            let why = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
            throw SyncError(.connection, "cannot resolve \(host): \(why)", hint: "check the host name, or use the peer's IP address")
        }
        defer { freeaddrinfo(result) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return storage
    }

    /// Host and port of a socket address.
    static func describe(_ storage: sockaddr_storage) -> PeerAddress {
        var copy = storage
        var name = [CChar](repeating: 0, count: 64)
        let family = Int32(storage.ss_family)
        let port = withUnsafePointer(to: &copy) { pointer -> Int in
            let raw = UnsafeRawPointer(pointer)
            if family == AF_INET6 {
                let sin6 = raw.assumingMemoryBound(to: sockaddr_in6.self)
                uv_ip6_name(sin6, &name, name.count)
                return Int(UInt16(bigEndian: sin6.pointee.sin6_port))
            }
            let sin = raw.assumingMemoryBound(to: sockaddr_in.self)
            uv_ip4_name(sin, &name, name.count)
            return Int(UInt16(bigEndian: sin.pointee.sin_port))
        }
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return PeerAddress(host: host, port: port)
    }

    static func peerName(of handle: UnsafeMutablePointer<uv_tcp_t>) -> String {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { uv_tcp_getpeername(handle, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length) }
        return rc == 0 ? describe(storage).description : "?"
    }
}

extension TCPConnection {
    /// Connects to `address`; `completion` runs on the loop thread with the connection (reading
    /// not yet started) or an error.
    public static func connect(loop: EventLoop, to address: PeerAddress, completion: @escaping (Result<TCPConnection, SyncError>) -> Void) {
        let storage: sockaddr_storage
        do { storage = try address.resolve() } catch let error as SyncError {
            completion(.failure(error))
            return
        } catch {
            completion(.failure(SyncError(.connection, "\(error)")))
            return
        }
        let connection = TCPConnection(loop: loop)
        connection.remoteAddress = address.description
        let pending = PendingConnect(connection: connection, address: address, completion: completion)
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(pending).toOpaque()
        var target = storage
        let rc = withUnsafePointer(to: &target) { pointer in
            uv_tcp_connect(request, connection.handle, UnsafeRawPointer(pointer).assumingMemoryBound(to: sockaddr.self)) { req, status in
                guard let req, let data = req.pointee.data else { return }
                let pending = Unmanaged<PendingConnect>.fromOpaque(data).takeRetainedValue()
                req.deallocate()
                pending.finish(status)
            }
        }
        if rc != 0 {
            Unmanaged.passUnretained(pending).release()
            request.deallocate()
            pending.finish(rc)
        }
    }
}

/// A connect request's context until libuv's connect callback.
final class PendingConnect {
    let connection: TCPConnection
    let address: PeerAddress
    let completion: (Result<TCPConnection, SyncError>) -> Void

    init(connection: TCPConnection, address: PeerAddress, completion: @escaping (Result<TCPConnection, SyncError>) -> Void) {
        self.connection = connection
        self.address = address
        self.completion = completion
    }

    func finish(_ status: Int32) {
        if status == 0, connection.isOpen {
            completion(.success(connection))
        } else {
            connection.close()
            let why = status == 0 ? "the connection was closed" : uvError(status)
            let hint = status == Int32(UV_ECONNREFUSED.rawValue) ? "is `sinkron serve` running on \(address)?" : "check the address and the network"
            completion(.failure(SyncError(.connection, "cannot connect to \(address): \(why)", hint: hint)))
        }
    }
}
