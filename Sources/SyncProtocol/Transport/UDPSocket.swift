import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket on the loop thread: datagrams in to a callback, out with `send` (best effort).
public final class UDPSocket: LoopHandle {
    private let loop: EventLoop
    private var handle: UnsafeMutablePointer<uv_udp_t>?
    /// A datagram and the address it came from.
    public var onDatagram: (([UInt8], PeerAddress) -> Void)?
    public private(set) var port = 0

    /// Binds `address` (shared with other sockets bound there: SO_REUSEADDR), broadcast allowed.
    public init(loop: EventLoop, address: PeerAddress) throws {
        self.loop = loop
        let handle = UnsafeMutablePointer<uv_udp_t>.allocate(capacity: 1)
        uv_udp_init(loop.loop, handle)
        self.handle = handle
        uv_handle_set_data(asHandle(handle), Unmanaged.passRetained(self).toOpaque())
        loop.register(self)
        do {
            var storage = try address.resolve(datagram: true)
            let rc = withUnsafePointer(to: &storage) { uv_udp_bind(handle, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), UInt32(UV_UDP_REUSEADDR.rawValue)) }
            guard rc == 0 else { throw SyncError(.connection, "cannot listen for beacons on \(address): \(uvError(rc))", hint: "choose another discovery port, or turn discovery off") }
            uv_udp_set_broadcast(handle, 1)
            var bound = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &bound) { uv_udp_getsockname(handle, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length) }
            port = PeerAddress.describe(bound).port
            let started = uv_udp_recv_start(handle, { h, _, buf in
                guard let h, let buf, let data = uv_handle_get_data(h) else { return }
                let me = Unmanaged<UDPSocket>.fromOpaque(data).takeUnretainedValue()
                buf.pointee = uv_buf_init(me.loop.readBuffer, UInt32(EventLoop.readSize))
            }, { h, nread, buf, addr, _ in
                guard let h, nread > 0, let addr, let base = buf?.pointee.base, let data = uv_handle_get_data(asHandle(h)) else { return }
                let me = Unmanaged<UDPSocket>.fromOpaque(data).takeUnretainedValue()
                var storage = sockaddr_storage()
                let size = addr.pointee.sa_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: size)) }
                me.onDatagram?(Array(UnsafeRawBufferPointer(start: base, count: nread)), PeerAddress.describe(storage))
            })
            guard started == 0 else { throw SyncError(.connection, "cannot read beacons: \(uvError(started))") }
        } catch {
            close()
            throw error
        }
    }

    /// Sends one datagram now if the kernel takes it (beacons are best effort).
    public func send(_ bytes: [UInt8], to address: PeerAddress) {
        guard let handle, var storage = try? address.resolve(datagram: true) else { return }
        bytes.withUnsafeBytes { raw in
            var buf = uv_buf_init(UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(raw.count))
            _ = withUnsafePointer(to: &storage) { uv_udp_try_send(handle, &buf, 1, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self)) }
        }
    }

    /// The directed broadcast address of every IPv4 interface that is up and not loopback, at
    /// `port` (read each time: DHCP may change them). Sent to each, a beacon reaches every LAN
    /// this PC is on, with or without a default route.
    public static func broadcastAddresses(port: Int) -> [PeerAddress] {
        var list: UnsafeMutablePointer<uv_interface_address_t>?
        var count: Int32 = 0
        guard uv_interface_addresses(&list, &count) == 0, let list else { return [] }
        defer { uv_free_interface_addresses(list, count) }
        var out: [PeerAddress] = []
        for i in 0..<Int(count) {
            let entry = list[i]
            guard entry.is_internal == 0, entry.address.address4.sin_family == sa_family_t(AF_INET) else { continue }
            let address = UInt32(bigEndian: entry.address.address4.sin_addr.s_addr)
            let mask = UInt32(bigEndian: entry.netmask.netmask4.sin_addr.s_addr)
            guard mask != 0xFFFF_FFFF else { continue }
            let broadcast = address | ~mask
            let host = "\(broadcast >> 24).\(broadcast >> 16 & 0xFF).\(broadcast >> 8 & 0xFF).\(broadcast & 0xFF)"
            let target = PeerAddress(host: host, port: port)
            if !out.contains(target) { out.append(target) }
        }
        return out
    }

    public func close() {
        guard let handle else { return }
        self.handle = nil
        onDatagram = nil
        loop.unregister(self)
        closeOwnedHandle(handle)
    }
}
