import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// A TCP stream on the loop thread: reads into a callback, writes byte arrays, closes gracefully
/// (flush, shut down the write side, wait briefly for the peer's end) or at once.
public final class TCPConnection: LoopHandle {
    let loop: EventLoop
    private(set) var handle: UnsafeMutablePointer<uv_tcp_t>?
    /// Bytes arrived.
    public var onRead: (([UInt8]) -> Void)?
    /// The connection is gone; an error unless this side closed it.
    public var onClose: ((SyncError?) -> Void)?
    public var remoteAddress = "?"
    private var closeError: SyncError?
    private var shuttingDown = false
    private var lingerTimer: LoopTimer?
    /// How long a graceful close waits for the peer to close its side (ms).
    public static let linger: UInt64 = 2_000
    /// The same for a connection refused before any session (busy): shorter, so that a flood
    /// does not hold descriptors.
    static let refusalLinger: UInt64 = 500

    init(loop: EventLoop) {
        loop.liveConnections.add(1, ordering: .relaxed)
        self.loop = loop
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.loop, handle)
        self.handle = handle
        uv_handle_set_data(asHandle(handle), Unmanaged.passRetained(self).toOpaque())
        loop.register(self)
    }

    deinit {
        loop.liveConnections.subtract(1, ordering: .relaxed)
    }

    public var isOpen: Bool { handle != nil }

    static func from(_ stream: UnsafeMutablePointer<uv_stream_t>?) -> TCPConnection? {
        guard let stream, let data = uv_handle_get_data(asHandle(stream)) else { return nil }
        return Unmanaged<TCPConnection>.fromOpaque(data).takeUnretainedValue()
    }

    func startReading() {
        guard let handle else { return }
        uv_tcp_nodelay(handle, 1)
        let rc = uv_read_start(asStream(handle), { h, _, buf in
            guard let h, let buf, let data = uv_handle_get_data(h) else { return }
            let me = Unmanaged<TCPConnection>.fromOpaque(data).takeUnretainedValue()
            buf.pointee = uv_buf_init(me.loop.readBuffer, UInt32(EventLoop.readSize))
        }, { stream, nread, buf in
            guard let me = TCPConnection.from(stream) else { return }
            if nread > 0, let base = buf?.pointee.base {
                let bytes = UnsafeRawBufferPointer(start: base, count: nread)
                if !me.shuttingDown { me.onRead?(Array(bytes)) }
            } else if nread < 0 {
                let eof = nread == Int(UV_EOF.rawValue)
                me.fail(eof ? nil : SyncError(.connection, "the connection to \(me.remoteAddress) failed: \(uvError(Int32(nread)))"), eof: eof)
            }
        })
        if rc != 0 { fail(SyncError(.connection, "cannot read from \(remoteAddress): \(uvError(rc))"), eof: false) }
    }

    public func write(_ bytes: [UInt8]) {
        guard let handle, !shuttingDown, !bytes.isEmpty else { return }
        // Nothing queued: send what the kernel takes now, with MSG_NOSIGNAL (libuv's own writes
        // cannot ask for it on Linux), and queue only the rest in libuv.
        var sent = 0
        if uv_stream_get_write_queue_size(asStream(handle)) == 0 {
            switch sendNow(handle, bytes) {
            case .sent(let count): sent = count
            case .failed(let code):
                fail(SyncError(.connection, "cannot send to \(remoteAddress): \(uvError(code))"), eof: false)
                return
            }
            if sent == bytes.count { return }
        }
        let request = WriteRequest(bytes[sent...])
        var buf = uv_buf_init(request.storage, UInt32(bytes.count - sent))
        uv_req_set_data(UnsafeMutableRawPointer(request.request).assumingMemoryBound(to: uv_req_t.self), Unmanaged.passRetained(request).toOpaque())
        let rc = uv_write(request.request, asStream(handle), &buf, 1) { req, status in
            guard let req, let data = req.pointee.data else { return }
            let stream = req.pointee.handle
            Unmanaged<WriteRequest>.fromOpaque(data).release()
            if status < 0, status != Int32(UV_ECANCELED.rawValue), let me = TCPConnection.from(stream) {
                me.fail(SyncError(.connection, "cannot send to \(me.remoteAddress): \(uvError(status))"), eof: false)
            }
        }
        if rc != 0 {
            Unmanaged.passUnretained(request).release()
            fail(SyncError(.connection, "cannot send to \(remoteAddress): \(uvError(rc))"), eof: false)
        }
    }

    private enum SendResult {
        case sent(Int)
        case failed(Int32)
    }

    /// One non-blocking `send` with `MSG_NOSIGNAL`: the bytes the kernel took (0 when its buffer
    /// is full), or the error as a libuv code.
    private func sendNow(_ handle: UnsafeMutablePointer<uv_tcp_t>, _ bytes: [UInt8]) -> SendResult {
        #if os(Linux)
        var fd = uv_os_fd_t()
        guard uv_fileno(asHandle(handle), &fd) == 0 else { return .sent(0) }
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
        if n >= 0 { return .sent(n) }
        let code = errno
        if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return .sent(0) }
        return .failed(-code)
        #else
        // libuv sets SO_NOSIGPIPE on these systems; its own write path is safe.
        return .sent(0)
        #endif
    }

    /// Flushes queued writes, shuts down the write side, then closes when the peer closes its
    /// side or after a short linger (so that a final error frame reaches the peer).
    public func closeGracefully(linger: UInt64 = TCPConnection.linger) {
        guard let handle, !shuttingDown else { return }
        shuttingDown = true
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let rc = uv_shutdown(request, asStream(handle)) { req, _ in
            req?.deallocate()
        }
        if rc != 0 {
            request.deallocate()
            close()
            return
        }
        let timer = LoopTimer(loop: loop) { [weak self] in self?.close() }
        timer.start(after: linger)
        lingerTimer = timer
    }

    private func fail(_ error: SyncError?, eof: Bool) {
        // After our own graceful close, the peer's end (EOF) is what we were waiting for.
        if closeError == nil, !shuttingDown {
            closeError = error ?? SyncError(.connection, "\(remoteAddress) closed the connection\(eof ? "" : " abruptly")")
        }
        close()
    }

    /// Closes at once (pending writes are cancelled).
    public func close() {
        guard let handle else { return }
        self.handle = nil
        lingerTimer?.close()
        lingerTimer = nil
        loop.unregister(self)
        let callback = onClose
        let error = shuttingDown ? nil : closeError ?? SyncError(.shutdown, "the connection to \(remoteAddress) was closed by this node")
        onRead = nil
        onClose = nil
        closeOwnedHandle(handle)
        callback?(error)
    }
}

/// Owns a write request and a copy of its bytes until libuv's write callback.
final class WriteRequest {
    let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
    let storage: UnsafeMutablePointer<CChar>

    init(_ bytes: ArraySlice<UInt8>) {
        storage = .allocate(capacity: bytes.count)
        bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(storage).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
    }

    deinit {
        storage.deallocate()
        request.deallocate()
    }
}
