/// Everything wrong with a configuration, one line per problem, so a user fixes them all at once
/// rather than one per start. Messages name the variable and say what is expected; they never
/// contain a secret's value.
public struct SettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One message per problem.
    public var problems: [String]

    /// Creates an error from its problems.
    public init(_ problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        if self.problems.count == 1 { return "configuration problem: \(self.problems[0])" }
        return "\(self.problems.count) configuration problems:\n"
            + self.problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
