import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on the loop thread.
public final class TCPListener: LoopHandle {
    private let loop: EventLoop
    private var handle: UnsafeMutablePointer<uv_tcp_t>?
    private let onConnection: (TCPConnection) -> Void
    /// The port actually bound (useful with port 0).
    public private(set) var port = 0

    public init(loop: EventLoop, address: PeerAddress, backlog: Int32 = 64, onConnection: @escaping (TCPConnection) -> Void) throws {
        self.loop = loop
        self.onConnection = onConnection
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.loop, handle)
        self.handle = handle
        uv_handle_set_data(asHandle(handle), Unmanaged.passRetained(self).toOpaque())
        loop.register(self)
        do {
            var storage = try address.resolve()
            let rc = withUnsafePointer(to: &storage) { uv_tcp_bind(handle, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), 0) }
            guard rc == 0 else { throw SyncError(.connection, "cannot listen on \(address): \(uvError(rc))", hint: "is another sinkron serve running there? choose another port") }
            let listened = uv_listen(asStream(handle), backlog) { server, status in
                guard let server, let data = uv_handle_get_data(asHandle(server)) else { return }
                let me = Unmanaged<TCPListener>.fromOpaque(data).takeUnretainedValue()
                guard status == 0 else { return }
                let client = TCPConnection(loop: me.loop)
                guard let clientHandle = client.handle, uv_accept(server, asStream(clientHandle)) == 0 else {
                    client.close()
                    return
                }
                client.remoteAddress = PeerAddress.peerName(of: clientHandle)
                me.onConnection(client)
            }
            guard listened == 0 else { throw SyncError(.connection, "cannot listen on \(address): \(uvError(listened))", hint: "choose another port") }
            var bound = sockaddr_storage()
            var length = Int32(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &bound) { uv_tcp_getsockname(handle, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length) }
            port = PeerAddress.describe(bound).port
        } catch {
            close()
            throw error
        }
    }

    public func close() {
        guard let handle else { return }
        self.handle = nil
        loop.unregister(self)
        closeOwnedHandle(handle)
    }
}
