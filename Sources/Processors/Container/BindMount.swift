/// A host path bound into the container, as docker's and podman's `--mount` option spells it.
///
/// `--mount` rather than `-v`: its fields are named, so a `:` in a path is just a character. A
/// `,` separates fields and cannot be escaped the same way in both engines, so paths with one
/// are refused.
struct BindMount: Sendable, Hashable {
    /// The absolute host path.
    let source: String
    /// The absolute path inside the container.
    let destination: String
    /// Whether the container may only read it.
    let readOnly: Bool

    /// `--mount=type=bind,source=...,destination=...[,readonly]`.
    var option: String {
        "--mount=type=bind,source=\(self.source),destination=\(self.destination)" + (self.readOnly ? ",readonly" : "")
    }

    /// Why `path` cannot be a mount's source or destination, or nil when it can.
    static func problem(with path: String) -> String? {
        if !path.hasPrefix("/") { return "is not absolute" }
        if path.contains(",") { return "contains a comma, which the engines' --mount option cannot take" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains control characters"
        }
        return nil
    }
}
