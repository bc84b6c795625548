/// Which failures to inject, and how often: for testing clients' retry behaviour against
/// the development server. Off unless configured.
public struct FaultPlan: Sendable, Hashable {
    /// One kind of injected failure.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// 500 OperationTimedOut.
        case internalError = "500"
        /// 503 ServerBusy with Retry-After.
        case serverBusy = "503"
        /// Hold the request past a client's timeout, then drop it.
        case hang
        /// Close the connection without a complete answer.
        case drop
    }

    /// Fraction of matching requests that fail, 0...1.
    public var rate: Double
    /// The failures drawn from, uniformly.
    public var kinds: [Kind]
    /// Operation names (Azure's, such as `GetMessages`); empty means every operation.
    public var operations: Set<String>
    /// How long a `hang` holds the request, in seconds.
    public var hangSeconds: Double
    /// `Retry-After` of a 503, in seconds.
    public var retryAfterSeconds: Int
    /// Seed of the random generator; nil for a random seed.
    public var seed: UInt64?

    /// Creates a plan.
    public init(
        rate: Double,
        kinds: [Kind] = [.internalError, .serverBusy],
        operations: Set<String> = [],
        hangSeconds: Double = 30,
        retryAfterSeconds: Int = 1,
        seed: UInt64? = nil
    ) {
        self.rate = rate
        self.kinds = kinds
        self.operations = operations
        self.hangSeconds = hangSeconds
        self.retryAfterSeconds = retryAfterSeconds
        self.seed = seed
    }

    /// Parses `rate=0.2,kinds=500|503|hang|drop,ops=GetMessages|PutMessage,hang=5,retry-after=1,seed=7`.
    public init(parsing text: String) throws(DevStorageConfigurationError) {
        self.init(rate: 0)
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw DevStorageConfigurationError("fault setting '\(pair)' is not KEY=VALUE")
            }
            let values = parts[1].split(separator: "|").map(String.init)
            switch parts[0].lowercased() {
            case "rate":
                guard let rate = Double(parts[1]), (0...1).contains(rate) else {
                    throw DevStorageConfigurationError("fault rate '\(parts[1])' is not a number between 0 and 1")
                }
                self.rate = rate
            case "kinds":
                self.kinds = try values.map { (value: String) throws(DevStorageConfigurationError) -> Kind in
                    guard let kind = Kind(rawValue: value) else {
                        throw DevStorageConfigurationError("fault kind '\(value)' is not one of 500, 503, hang, drop")
                    }
                    return kind
                }
            case "ops", "operations":
                self.operations = Set(values)
            case "hang":
                guard let seconds = Double(parts[1]), seconds >= 0 else {
                    throw DevStorageConfigurationError("fault hang '\(parts[1])' is not a number of seconds")
                }
                self.hangSeconds = seconds
            case "retry-after":
                guard let seconds = Int(parts[1]), seconds >= 0 else {
                    throw DevStorageConfigurationError("fault retry-after '\(parts[1])' is not a number of seconds")
                }
                self.retryAfterSeconds = seconds
            case "seed":
                guard let seed = UInt64(parts[1]) else {
                    throw DevStorageConfigurationError("fault seed '\(parts[1])' is not a number")
                }
                self.seed = seed
            default:
                throw DevStorageConfigurationError(
                    "fault setting '\(parts[0])' is unknown (known: rate, kinds, ops, hang, retry-after, seed)"
                )
            }
        }
        guard !self.kinds.isEmpty else { throw DevStorageConfigurationError("fault kinds are empty") }
    }
}
