extension AzCopyTransferEngine {
    /// How azcopy proves to the storage account that it may read or write a blob.
    public enum Authorization: Sendable, Hashable {
        /// A shared access signature per transfer, scoped to the one blob with the least permissions
        /// the transfer needs (`r` to download, `cw` to upload) and valid for
        /// ``Configuration/sasLifetime``. It is signed with the account key, or, when the account is
        /// reached with a token credential, with a user delegation key the engine requests and reuses.
        /// With a SAS-credentialed account the configured SAS is passed as it is.
        ///
        /// The SAS has to be in azcopy's command line (azcopy accepts no other way), where other
        /// users of the machine can see it while the transfer runs; keep the lifetime short.
        case sas
        /// azcopy signs in by itself (`AZCOPY_AUTO_LOGIN_TYPE`): `MSI` (managed identity) or
        /// `WORKLOAD` (workload identity; needs an azcopy release that supports it). The command
        /// line carries only the plain blob URL. azcopy sends its token only to Azure Storage hosts,
        /// so this does not work with the development server.
        case autoLogin(String)
    }

    /// Where azcopy is, where it keeps its files, and how it is tuned and authorized.
    ///
    /// ```swift
    /// var configuration = AzCopyTransferEngine.Configuration(binaryPath: "/usr/local/bin/azcopy", workDirectory: "/var/lib/blobflow/azcopy")
    /// configuration.concurrency = 16
    /// ```
    public struct Configuration: Sendable {
        /// The azcopy program (see ``AzCopyTransferEngine/locate(explicitPath:environment:)``).
        public var binaryPath: String
        /// The parent of the per-transfer folders that hold azcopy's logs and job plans (created
        /// when missing). Each folder is removed when its transfer ends, however it ends.
        public var workDirectory: String
        /// `AZCOPY_CONCURRENCY_VALUE`; nil for azcopy's default. Pipe mode does not use it (a
        /// download is one streamed GET, an upload keeps five blocks in flight).
        public var concurrency: Int?
        /// Block size in MiB for uploads (`--block-size-mb`); nil for azcopy's pipe-mode default
        /// of 8 MiB. azcopy buffers five blocks, so this sets most of its memory.
        public var blockSizeMiB: Int?
        /// How azcopy is authorized.
        public var authorization: Authorization = .sas
        /// How long each generated SAS stays valid: long enough for the largest transfer, short
        /// because it is visible in the process list while azcopy runs.
        public var sasLifetime: Duration = .seconds(3600)
        /// How long a cancelled azcopy has between SIGTERM and SIGKILL.
        public var killGracePeriod: Duration = .seconds(5)
        /// The environment the few variables azcopy gets are taken from; nil for the daemon's own.
        ///
        /// azcopy never gets the whole environment: it gets `PATH`, a `HOME` inside its transfer
        /// folder, its `AZCOPY_*` settings, and from here the proxy variables (`HTTPS_PROXY`,
        /// `HTTP_PROXY`, `NO_PROXY`), `SSL_CERT_FILE`, `SSL_CERT_DIR` and the tuning variables
        /// `AZCOPY_BUFFER_GB`, `AZCOPY_CONCURRENT_FILES`, `AZCOPY_REQUEST_TRY_TIMEOUT`,
        /// `AZCOPY_USER_AGENT_PREFIX`, `AZCOPY_TUNE_TO_CPU`. With ``Authorization/autoLogin(_:)``
        /// it also gets the identity variables its sign-in needs (`IDENTITY_ENDPOINT`,
        /// `IDENTITY_HEADER`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`,
        /// `AZURE_AUTHORITY_HOST`, `AZCOPY_MSI_CLIENT_ID`, ...). Never a storage key or
        /// connection string.
        public var inheritedEnvironment: [String: String]?

        /// A configuration running the azcopy at `binaryPath` with its transfer folders under
        /// `workDirectory`, and the defaults for everything else.
        public init(binaryPath: String, workDirectory: String) {
            self.binaryPath = binaryPath
            self.workDirectory = workDirectory
        }
    }
}
