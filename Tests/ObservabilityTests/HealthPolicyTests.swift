import Consumer
import Observability
import Testing

@Suite("Health policy")
struct HealthPolicyTests {
    @Test("the default allowance is three of the longest poll intervals plus ten seconds")
    func allowance() {
        #expect(HealthPolicy(maxPollInterval: .seconds(30)).staleAfter == .seconds(100))
        #expect(HealthPolicy(maxPollInterval: .milliseconds(500)).staleAfter == .milliseconds(11_500))
    }

    @Test("a consumer that never polled is healthy only within the allowance after start")
    func freshConsumer() async throws {
        let statistics = ConsumerStatistics()
        #expect(HealthPolicy(staleAfter: .seconds(60)).isHealthy(statistics))
        try await Task.sleep(for: .milliseconds(20))
        #expect(!HealthPolicy(staleAfter: .milliseconds(10)).isHealthy(statistics))
        #expect(!statistics.isReady)
    }
}
