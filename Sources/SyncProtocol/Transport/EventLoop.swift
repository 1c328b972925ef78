import CLibUV
import Synchronization

/// Something that owns a libuv handle and can close it (the loop closes them all at shutdown).
protocol LoopHandle: AnyObject {
    func close()
}

/// A libuv loop. Everything but `execute` and `stop` must be called on the thread that calls
/// `run` (libuv is single-threaded); `execute` queues work under a mutex and wakes the loop with
/// `uv_async_send`, the only thread-safe libuv call.
public final class EventLoop: @unchecked Sendable {
    let loop: UnsafeMutablePointer<uv_loop_t>
    private let wakeup: UnsafeMutablePointer<uv_async_t>
    private let queue = Mutex<(work: [@Sendable () -> Void], closed: Bool)>(([], false))
    /// Open handles, so that shutdown can close every one (loop thread only).
    private var handles: [ObjectIdentifier: any LoopHandle] = [:]
    /// Where every connection of this loop reads into: libuv asks for a buffer and hands it to
    /// that connection's read callback, which copies the bytes out, before it reads again. One
    /// per loop rather than 64 KiB held by every connection, however idle.
    let readBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: EventLoop.readSize)
    static let readSize = 64 * 1024
    /// TCPConnection objects of this loop still in memory (a test checks ended ones are freed).
    package let liveConnections = Atomic<Int>(0)

    public init() throws {
        loop = .allocate(capacity: 1)
        let rc = uv_loop_init(loop)
        guard rc == 0 else {
            loop.deallocate()
            throw SyncError(.connection, "cannot start the event loop: \(uvError(rc))")
        }
        wakeup = .allocate(capacity: 1)
        uv_async_init(loop, wakeup) { async in
            guard let async, let data = uv_handle_get_data(asHandle(async)) else { return }
            Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().drain()
        }
        // Unretained: the loop object outlives its own async handle, closed in `run`'s teardown.
        uv_handle_set_data(asHandle(wakeup), Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        readBuffer.deallocate()
        loop.deallocate()
        wakeup.deallocate()
    }

    /// Runs `work` on the loop thread soon. Safe from any thread; dropped once the loop has stopped.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        let accepted = queue.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.work.append(work)
            return true
        }
        if accepted { uv_async_send(wakeup) }
    }

    /// Makes `run` return (after closing every handle). Safe from any thread.
    public func stop() {
        execute { [self] in uv_stop(loop) }
    }

    /// Runs the loop on the calling thread until `stop`, then closes every handle and the loop.
    public func run() {
        uv_run(loop, UV_RUN_DEFAULT)
        queue.withLock { $0.closed = true }
        drain()
        for handle in Array(handles.values) { handle.close() }
        uv_close(asHandle(wakeup), nil)
        // Close callbacks run on the next turns; keep turning until nothing is left.
        while uv_run(loop, UV_RUN_DEFAULT) != 0 {}
        let rc = uv_loop_close(loop)
        assert(rc == 0, "uv_loop_close: \(uvError(rc))")
    }

    private func drain() {
        let work = queue.withLock { state -> [@Sendable () -> Void] in
            defer { state.work.removeAll() }
            return state.work
        }
        for item in work { item() }
    }

    /// Milliseconds of the loop's clock (monotonic, updated each turn).
    public var now: UInt64 { uv_now(loop) }

    func register(_ handle: any LoopHandle) { handles[ObjectIdentifier(handle)] = handle }
    func unregister(_ handle: any LoopHandle) { handles[ObjectIdentifier(handle)] = nil }
}

/// Closes a handle whose `data` holds its retained owner: in libuv's close callback, the owner is
/// released and the handle's memory freed (never before that callback).
func closeOwnedHandle<T>(_ pointer: UnsafeMutablePointer<T>) {
    uv_close(asHandle(pointer)) { h in
        guard let h else { return }
        if let data = uv_handle_get_data(h) { Unmanaged<AnyObject>.fromOpaque(data).release() }
        h.deallocate()
    }
}

func asHandle<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
}

func asStream<T>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
}

/// libuv's name and text for an error code.
func uvError(_ code: Int32) -> String {
    "\(String(cString: uv_strerror(code))) (\(String(cString: uv_err_name(code))))"
}
