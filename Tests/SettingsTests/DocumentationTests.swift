import Foundation
import Settings
import Testing

/// example.env and the README's configuration table must list exactly the variables the code
/// reads, with the same defaults.
@Suite("Configuration documentation matches the code")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("example.env lists every variable with its default, and nothing else")
    func exampleEnv() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("example.env"), encoding: .utf8)
        var documented: [String: String] = [:]
        for line in text.split(separator: "\n") {
            var line = Substring(line)
            if line.hasPrefix("# ") { line = line.dropFirst(2) }
            guard let equals = line.firstIndex(of: "="),
                line[..<equals].allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber }),
                !line[..<equals].isEmpty
            else { continue }
            documented[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        for key in SettingKey.all {
            #expect(documented[key.name] != nil, "example.env does not mention \(key.name)")
            #expect(
                documented[key.name] == (key.defaultValue ?? ""),
                "example.env shows \(key.name)=\(documented[key.name] ?? "nil")"
            )
        }
        // OTEL_* are OpenTelemetry's standard variables, read by the exporter library itself.
        let extra = Set(documented.keys).subtracting(SettingKey.all.map(\.name)).filter { !$0.hasPrefix("OTEL_") }
        #expect(extra.isEmpty, "example.env lists variables the code does not read: \(extra.sorted())")
    }

    @Test("the README's configuration table lists every variable, and nothing else")
    func readmeTable() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        var documented: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("`"), cells[0].hasSuffix("`") else { continue }
            let name = String(cells[0].dropFirst().dropLast())
            guard name.hasPrefix("BLOBFLOW_") || name.hasPrefix("AZURE_STORAGE_") else { continue }
            documented[name] = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        }
        for key in SettingKey.all {
            #expect(documented[key.name] != nil, "README's table does not mention \(key.name)")
            if let shown = documented[key.name] {
                #expect(shown == (key.defaultValue ?? ""), "README shows \(key.name) default '\(shown)'")
            }
        }
        let extra = Set(documented.keys).subtracting(SettingKey.all.map(\.name))
        #expect(extra.isEmpty, "README lists variables the code does not read: \(extra.sorted())")
    }
}
