import Hummingbird
import NIOCore

/// The request context of the development server: Hummingbird's core context plus the
/// client's address, which a SAS's `sip` restriction is checked against.
struct DevStorageRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's IP address as text, when known.
    let clientAddress: String?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }
}
