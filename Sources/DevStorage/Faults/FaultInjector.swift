import Synchronization

/// Decides, request by request, whether to inject a failure according to a ``FaultPlan``.
final class FaultInjector: Sendable {
    private let plan: FaultPlan
    private let generator: Mutex<SplitMix64>

    init(plan: FaultPlan) {
        self.plan = plan
        self.generator = Mutex(SplitMix64(seed: plan.seed ?? UInt64.random(in: 0...UInt64.max)))
    }

    /// The failure to inject for this operation, if any.
    func fault(for operation: String) -> FaultPlan.Kind? {
        guard self.plan.rate > 0, self.plan.operations.isEmpty || self.plan.operations.contains(operation) else {
            return nil
        }
        return self.generator.withLock { generator in
            guard Double.random(in: 0..<1, using: &generator) < self.plan.rate else { return nil }
            return self.plan.kinds.randomElement(using: &generator)
        }
    }

    var hangSeconds: Double { self.plan.hangSeconds }
    var retryAfterSeconds: Int { self.plan.retryAfterSeconds }
}

/// A small seedable generator so fault runs can be repeated.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
