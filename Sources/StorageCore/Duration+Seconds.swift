extension Duration {
    /// The duration in seconds, with its fraction: for timings in checkpoints, manifests, logs
    /// and reports, and for `Date` arithmetic.
    public var fractionalSeconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
