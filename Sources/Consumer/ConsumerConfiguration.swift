/// Everything the consumer needs once configuration has been read and validated.
public struct ConsumerConfiguration: Sendable {
    /// The work queue Event Grid writes to.
    public var queueName: String = "blobflow-events"
    /// Where undecodable and exhausted events go (`<queue>-poison`).
    public var poisonQueueName: String = "blobflow-events-poison"
    /// The container whose new blobs are work.
    public var inputContainer: String = "input"
    /// Only blobs under this prefix are work ("" for all).
    public var inputPrefix: String = ""
    /// Where outputs are uploaded.
    public var outputContainer: String = "output"
    /// Prefix of every output name.
    public var outputPrefix: String = ""
    /// The shared folder for checkpoints (an Azure Files mount in production).
    public var checkpointDirectory: String = "/mnt/azurefiles/blobflow"
    /// The staging folder for downloads and outputs.
    public var workDirectory: String = "/mnt/azurefiles/blobflow/work"
    /// Blobs processed at once by this replica.
    public var concurrency: Int = 4
    /// Messages asked for per receive (1...32).
    public var batchSize: Int = 16
    /// Seconds a received message stays invisible; renewed at a third of it while work runs.
    public var visibilityTimeout: Int = 300
    /// Deliveries before an event is dead-lettered.
    public var maxDequeueCount: Int = 5
    /// Wait after a poll that found messages.
    public var minPollInterval: Duration = .milliseconds(100)
    /// Longest wait between polls of an empty queue.
    public var maxPollInterval: Duration = .seconds(30)
    /// Longest a processor may run on one blob before it is cancelled (a failure).
    public var processTimeout: Duration = .seconds(3600)
    /// First retry delay of a failed event; doubles with each delivery up to ``maxRetryDelay``.
    public var retryDelay: Duration = .seconds(10)
    /// Longest retry delay of a failed event.
    public var maxRetryDelay: Duration = .seconds(600)
    /// On shutdown, how long in-flight work may finish before it is released to other replicas.
    public var shutdownGracePeriod: Duration = .seconds(30)
    /// Exit after the queue has been empty this long (for Container Apps Jobs); nil runs forever.
    public var exitWhenIdle: Duration?
    /// How long completed checkpoint records are kept.
    public var checkpointRetention: Duration = .seconds(7 * 24 * 3600)
    /// This replica's name in checkpoints and claims (the host name by default).
    public var replicaID: String = "blobflow"

    /// The defaults.
    public init() {}

    /// Whether fetching again is worth it: when at least this many slots are free (the Functions
    /// trigger's newBatchThreshold idea: do not poll for one message while 31 are still running).
    var refillThreshold: Int { max(1, min(self.batchSize, self.concurrency) / 2) }

    /// The delay before the next delivery of an event that failed on delivery `dequeueCount`.
    func retryDelay(afterDelivery dequeueCount: Int) -> Duration {
        let exponent = min(max(0, dequeueCount - 1), 20)
        return min(self.retryDelay * (1 << exponent), self.maxRetryDelay)
    }
}
