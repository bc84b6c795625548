/// Fills `{input}`, `{output}`, `{name}` and `{stem}` into the configured arguments.
///
/// Each argument is substituted on its own and passed to the program as one argument: no shell
/// sees it, so a blob name with spaces, quotes or `;` in it is just text. Substitution is a single
/// pass (a value that itself contains `{input}` is not expanded again); braces around anything
/// else are left as they are.
struct ArgumentTemplate: Sendable {
    /// The placeholder names and their values.
    let values: [String: String]

    /// `argument` with every known `{placeholder}` replaced.
    func substitute(_ argument: String) -> String {
        var out = ""
        var rest = Substring(argument)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(of: "}"),
                let value = self.values[String(rest[afterOpen..<close])]
            {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[afterOpen...]
            }
        }
        return out + rest
    }
}
