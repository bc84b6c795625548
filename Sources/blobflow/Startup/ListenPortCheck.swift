import Glibc

/// Checks, before any server starts, that the ports blobflow is about to listen on are free, so
/// a taken port is reported at once with its number and what to do, instead of after other
/// services have started (or, worse, while they wait for a server that never comes up).
///
/// It binds a throwaway socket the way the servers do (SO_REUSEADDR, so a port in TIME_WAIT is
/// not reported) and closes it again. A port taken between this check and the real bind is
/// still reported by the server itself.
enum ListenPortCheck {
    /// One port to check: `what` names the server ("blob service"), `flag` the option that moves it.
    struct Port {
        var port: Int
        var what: String
        var flag: String
    }

    /// Throws a `ListenPortError` naming the first port that cannot be bound on `host`.
    /// Port 0 (any free port) always passes.
    static func ensureFree(host: String, _ ports: [Port]) throws(ListenPortError) {
        for port in ports where port.port != 0 {
            let code = Self.bindProbe(host: host, port: port.port)
            guard code != 0 else { continue }
            throw ListenPortError(host: host, port: port.port, what: port.what, flag: port.flag, errno: code)
        }
    }

    /// 0 when `host:port` can be bound, else the errno of the failure.
    private static func bindProbe(host: String, port: Int) -> Int32 {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return EADDRNOTAVAIL }
        defer { freeaddrinfo(found) }
        let descriptor = socket(
            first.pointee.ai_family,
            first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
            first.pointee.ai_protocol
        )
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        var one: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 ? 0 : errno
    }
}

/// A port blobflow cannot listen on, with what to do about it.
struct ListenPortError: Error, CustomStringConvertible {
    var host: String
    var port: Int
    var what: String
    var flag: String
    var errno: Int32

    var description: String {
        switch self.errno {
        case EADDRINUSE:
            return "port \(self.port) (\(self.what)) on \(self.host) is already in use: stop the program using it "
                + "(another blobflow dev or devstore, or Azurite?) or choose another port with \(self.flag) (0 picks a free one)"
        case EACCES:
            return
                "port \(self.port) (\(self.what)) on \(self.host) needs privileges blobflow does not have: choose a port above 1023 with \(self.flag)"
        case EADDRNOTAVAIL:
            return
                "cannot listen on \(self.host) (\(self.what), port \(self.port)): the address is not one of this machine's"
        default:
            return
                "cannot listen on \(self.host) port \(self.port) (\(self.what)): \(String(cString: strerror(self.errno)))"
        }
    }
}
