/// The raw values behind a configuration, layered: flags win over the process environment,
/// which wins over the `.env` file (the dotenv convention: a file never overrides what the
/// environment already says). An empty value counts as unset.
public struct SettingsValues: Sendable {
    /// Values from command-line flags, by variable name.
    public var flags: [String: String]
    /// The process environment.
    public var processEnvironment: [String: String]
    /// The `.env` file, if one was read.
    public var file: EnvironmentFile?

    /// Creates the layers.
    public init(flags: [String: String] = [:], processEnvironment: [String: String], file: EnvironmentFile? = nil) {
        self.flags = flags
        self.processEnvironment = processEnvironment
        self.file = file
    }

    /// The value of `key`, or nil when no layer sets it (or sets it empty).
    public subscript(key: SettingKey) -> String? {
        self.value(named: key.name)
    }

    /// The value of any variable, through the same layers.
    public func value(named name: String) -> String? {
        for layer in [self.flags, self.processEnvironment, self.file?.values ?? [:]] {
            if let value = layer[name], !value.isEmpty { return value }
        }
        return nil
    }

    /// The environment as blobflow's children and credentials should see it: the file's
    /// variables under the process environment, flags on top.
    public var environment: [String: String] {
        var merged = self.file?.values ?? [:]
        merged.merge(self.processEnvironment) { _, process in process }
        merged.merge(self.flags) { _, flag in flag }
        return merged
    }

    /// Variables that look like blobflow's but are not read (a typo, most likely).
    var unknownBlobflowVariables: [String] {
        let names = Set(self.flags.keys).union(self.processEnvironment.keys).union(self.file?.values.keys ?? [:].keys)
        let known = Set(SettingKey.all.map(\.name)).union(Self.otherKnownNames)
        return names.filter { $0.hasPrefix("BLOBFLOW_") && !known.contains($0) }.sorted()
    }

    /// BLOBFLOW_ variables read elsewhere: by the development server, or set by blobflow for the
    /// apps it runs.
    static let otherKnownNames: Set<String> = [
        "BLOBFLOW_DEVSTORE_ACCOUNTS", "BLOBFLOW_DEVSTORE_FAULTS",
        "BLOBFLOW_INPUT", "BLOBFLOW_OUTPUT_DIR", "BLOBFLOW_BLOB_NAME", "BLOBFLOW_BLOB_URL", "BLOBFLOW_EVENT_ID",
        "BLOBFLOW_CONTENT_TYPE",
        "BLOBFLOW_CONTAINER", "BLOBFLOW_ATTEMPT", "BLOBFLOW_BIN",
    ]
}
