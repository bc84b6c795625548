/// The environment of a container run: what the engine's client starts with, and which of its
/// variables reach the container.
///
/// Values are never written into the engine's arguments (where `ps` and the engine's records
/// would show them): the client gets them in its own environment, and `--env=NAME` tells it to
/// copy that variable into the container. Only the `BLOBFLOW_*` description of the job and the
/// names the configuration passes reach the container; the rest of blobflow's environment (its
/// `PATH`, `HOME`, `DOCKER_HOST`, `CONTAINERS_CONF` ...) is the client's alone.
struct ContainerEnvironment: Sendable, Hashable {
    /// The client's whole environment.
    let engine: [String: String]
    /// The variables copied into the container, sorted.
    let passed: [String]

    /// The environment for a run: `inherited` without credentials, the passed names that are set
    /// and allowed, and `job` (which wins).
    init(inherited: [String: String], passing names: [String], job: [String: String]) {
        var chosen: [String: String] = [:]
        for name in names where Self.isVariableName(name) && !Self.isStorageCredential(name) {
            if let value = inherited[name] { chosen[name] = value }
        }
        // Names chosen on purpose are passed even when they look like secrets; everything else
        // that does is kept from the client as well.
        let engine = AppEnvironment.build(inherited: inherited, inherit: true, configured: chosen, job: job)
        self.engine = engine
        self.passed = Set(job.keys).union(chosen.keys).filter { engine[$0] != nil }.sorted()
    }

    /// `--env=NAME` for every passed variable.
    var options: [String] { self.passed.map { "--env=\($0)" } }

    /// Whether `name` is one of blobflow's own storage credentials, which never reach an app.
    static func isStorageCredential(_ name: String) -> Bool {
        AppEnvironment.strippedNames.contains(name.uppercased())
    }

    /// Whether `name` is a plain variable name: ASCII letters, digits and `_`, not starting with a
    /// digit. Anything else is refused (podman reads `*` in `--env` as a pattern).
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }
}
