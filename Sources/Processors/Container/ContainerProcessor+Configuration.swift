extension ContainerProcessor {
    /// A file or folder of the host mounted read-only into the container: the app's configuration
    /// on the Azure Files share, a model, reference data.
    public struct Mount: Sendable, Hashable {
        /// The absolute path on the host. It must exist: the engine refuses to start the container
        /// otherwise (a retryable `engine-failed`).
        public var host: String
        /// The absolute path inside the container; not under `/blobflow`, which is blobflow's own.
        public var container: String

        /// A read-only mount of `host` at `container`.
        public init(host: String, container: String) {
            self.host = host
            self.container = container
        }
    }

    /// Which image to run, how, and where its outputs go.
    ///
    /// ```swift
    /// var configuration = ContainerProcessor.Configuration(engine: "podman", image: "registry.example/convert:1.4")
    /// configuration.command = ["/app/convert", "{input}", "{output}/{stem}.parquet"]
    /// configuration.mounts = [.init(host: "/mnt/azurefiles/convert/config", container: "/etc/convert")]
    /// configuration.passEnvironment = ["CONVERT_LOG_LEVEL"]
    /// ```
    public struct Configuration: Sendable {
        /// The container engine: `podman` or `docker` (any CLI that takes docker's `run`, `stop`
        /// and `rm` options), as a path or a name looked up in `PATH`. See
        /// ``ContainerProcessor/locateEngine(preferred:environment:)``.
        public var engine: String
        /// The image, as the engine names it (`registry.example/convert:1.4`, `localhost/app:latest`).
        /// It is pulled as the engine's own pull policy says.
        public var image: String
        /// What follows the image in `run`: empty runs the image's own entrypoint and command
        /// unchanged (the app then finds its input in `BLOBFLOW_INPUT` and writes to
        /// `BLOBFLOW_OUTPUT_DIR`); otherwise it replaces the image's command (and becomes the
        /// arguments of its entrypoint, when it has one). In each element `{input}`
        /// (`/blobflow/input/<file name>`), `{output}` (`/blobflow/output`), `{name}` (the blob's name
        /// without ``inputPrefix``) and `{stem}` (the input file's name without its extension) are
        /// replaced; no shell is involved.
        public var command: [String] = []
        /// The network the container joins; nil for none at all (`--network none`).
        public var network: String?
        /// The CPU limit (`--cpus`, for example `"1.5"`); nil for none.
        public var cpus: String?
        /// The memory limit (`--memory`, for example `"512m"`); nil for none. An app killed for
        /// using more exits 137, which is retried.
        public var memory: String?
        /// The user the app runs as (`--user`, `uid[:gid]` or a name the image knows); nil for the
        /// image's own. The output folder is writable by any user. blobflow must be able to read and
        /// remove what the app writes: with a rootful engine and blobflow not running as root, set
        /// this to blobflow's own `uid:gid`.
        public var user: String?
        /// Extra read-only mounts.
        public var mounts: [Mount] = []
        /// Variables passed from blobflow's environment into the container, by name. A name that
        /// is not set is left out. blobflow's storage credentials (`AZURE_STORAGE_KEY`,
        /// `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_SAS_TOKEN`, `IDENTITY_HEADER`,
        /// `AZURE_CLIENT_SECRET`) are never passed, nor names that are not plain identifiers
        /// (podman would read `*` as a pattern). Values reach the engine through its environment,
        /// never its arguments.
        public var passEnvironment: [String] = []
        /// More options for `run`, placed before the image as given (`--init`, `--pull=never`,
        /// `--userns=keep-id`, `--security-opt=label=disable`). blobflow does not check them.
        public var runOptions: [String] = []
        /// The environment the engine starts from (credentials always taken out, see
        /// ``passEnvironment``), and that passed variables are read from; nil for the daemon's own.
        /// Tests set it.
        public var inheritedEnvironment: [String: String]?
        /// The input prefix, removed from the blob's name in `{name}` and in output names.
        public var inputPrefix: String = ""
        /// The storage container outputs are uploaded to.
        public var outputContainer: String = "output"
        /// The prefix of every output name ("" for none). Outputs of blob `NAME` are named
        /// `OUTPUT_PREFIX/NAME/<path under the output folder>`.
        public var outputPrefix: String = ""
        /// The account's blob endpoint, for `BLOBFLOW_BLOB_URL` (never with a SAS: anything after
        /// `?` is dropped). nil leaves the variable unset.
        public var blobEndpoint: String?
        /// How long a cancelled app has between the engine's SIGTERM and SIGKILL (`stop -t`,
        /// rounded up to whole seconds).
        public var killGracePeriod: Duration = .seconds(10)
        /// Whether an app that exits 0 without writing any file fails (permanently). Off: such a
        /// run succeeds with an empty manifest.
        public var requireOutputs: Bool = false

        /// A configuration running `image` with `engine`, with the defaults for everything else.
        public init(engine: String, image: String, command: [String] = []) {
            self.engine = engine
            self.image = image
            self.command = command
        }

        /// What keeps this configuration from running, one sentence each; empty when it can run.
        /// Check it at startup: a job whose configuration cannot run fails permanently
        /// (`app-not-startable`). Names ``passEnvironment`` will never pass are listed too, though
        /// jobs simply leave them out.
        public var problems: [String] {
            var problems = self.runProblems
            for name in self.passEnvironment {
                if !ContainerEnvironment.isVariableName(name) {
                    problems.append(
                        "passEnvironment: '\(name)' is not a variable name (letters, digits and _, not starting with a digit)"
                    )
                } else if ContainerEnvironment.isStorageCredential(name) {
                    problems.append(
                        "passEnvironment: \(name) is one of blobflow's storage credentials and is never passed to the app"
                    )
                }
            }
            return problems
        }

        /// The problems that keep a job from running at all.
        var runProblems: [String] {
            var problems: [String] = []
            if self.engine.isEmpty { problems.append("engine: no container engine is configured") }
            if self.image.isEmpty {
                problems.append("image: no image is configured")
            } else if self.image.hasPrefix("-")
                || self.image.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
            {
                problems.append("image: '\(self.image)' is not an image name")
            }
            if self.network?.isEmpty == true {
                problems.append("network: an empty name; leave it unset for no network")
            }
            for (option, value) in [("cpus", self.cpus), ("memory", self.memory), ("user", self.user)]
            where value?.isEmpty == true {
                problems.append("\(option): empty; leave it unset for none")
            }
            for mount in self.mounts {
                for (side, path) in [("host", mount.host), ("container", mount.container)] {
                    if let problem = BindMount.problem(with: path) {
                        problems.append("mounts: the \(side) path '\(path)' \(problem)")
                    }
                }
                let container = "/" + mount.container.split(separator: "/").joined(separator: "/")
                if container == ContainerProcessor.stagingRoot
                    || container.hasPrefix(ContainerProcessor.stagingRoot + "/")
                {
                    problems.append(
                        "mounts: '\(mount.container)' is inside \(ContainerProcessor.stagingRoot), which is blobflow's own"
                    )
                }
            }
            return problems
        }
    }
}
