extension CommandProcessor {
    /// What to run and where its outputs go.
    ///
    /// ```swift
    /// var configuration = CommandProcessor.Configuration(command: ["/opt/app/convert", "{input}", "{output}/{stem}.parquet"])
    /// configuration.outputContainer = "converted"
    /// ```
    public struct Configuration: Sendable {
        /// The program and its arguments; the first element is the program (a path, or a name
        /// looked up in the app's `PATH`). In each argument `{input}` (the downloaded file),
        /// `{output}` (the folder to write to), `{name}` (the blob's name without ``inputPrefix``)
        /// and `{stem}` (the downloaded file's name without its extension) are replaced. No shell
        /// is involved: every element reaches the program as one argument.
        public var command: [String]
        /// Variables added to the app's environment, passed as given (after the inherited ones,
        /// before the `BLOBFLOW_*` ones, which win).
        public var environment: [String: String] = [:]
        /// Whether the app starts from the daemon's environment. Credentials are always taken out:
        /// `AZURE_STORAGE_KEY`, `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_SAS_TOKEN`,
        /// `IDENTITY_HEADER`, `AZURE_CLIENT_SECRET` and every variable whose name contains `KEY`,
        /// `SECRET`, `TOKEN`, `PASSWORD` or `CONNECTION_STRING`.
        public var inheritEnvironment: Bool = true
        /// The environment inherited when ``inheritEnvironment`` is on; nil for the daemon's own.
        /// Set it to run apps with a fixed environment (tests do).
        public var inheritedEnvironment: [String: String]?
        /// The input prefix, removed from the blob's name in `{name}` and in output names.
        public var inputPrefix: String = ""
        /// The container outputs are uploaded to.
        public var outputContainer: String = "output"
        /// The prefix of every output name ("" for none). Outputs of blob `NAME` are named
        /// `OUTPUT_PREFIX/NAME/<path under the output folder>`.
        public var outputPrefix: String = ""
        /// The account's blob endpoint, for `BLOBFLOW_BLOB_URL` (never with a SAS: anything after
        /// `?` is dropped). nil leaves the variable unset.
        public var blobEndpoint: String?
        /// How long a cancelled app has between SIGTERM and SIGKILL.
        public var killGracePeriod: Duration = .seconds(10)
        /// Whether an app that exits 0 without writing any file fails (permanently). Off: such a
        /// run succeeds with an empty manifest.
        public var requireOutputs: Bool = false

        /// A configuration running `command`, with the defaults for everything else.
        public init(command: [String]) {
            self.command = command
        }
    }
}
