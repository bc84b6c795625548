import Foundation
import Testing

@testable import BlobEvents

/// The message reader accepts what Foundation's `JSONDecoder` accepted, and reads values the same.
@Suite struct JSONReaderTests {
    private func read(_ text: String) -> JSONDocument? {
        try? JSONReader.document(Array(text.utf8))
    }

    private func field(_ text: String, _ name: String) -> JSONField? {
        guard case .object(let fields)? = self.read(text) else { return nil }
        return fields[name]
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #" { "a" : 1 } "#, #"{"a":1,}"#, #"[1,2,]"#, #""text""#, "42", "-0", "true", "null",
        #"{"a":{"b":[1,{"c":[]}],"d":"\u00e9\ud83d\ude00"}}"#, #"{"a":"\"\\\/\b\f\n\r\t"}"#, "1.5e-3", "\n\t\r {}",
    ])
    func acceptsJSON(text: String) {
        #expect(self.read(text) != nil, "\(text)")
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil)
    }

    @Test(arguments: [
        "", "{", "}", #"{"a"}"#, #"{"a":}"#, #"{"a":1 "b":2}"#, #"{,}"#, "[,]", "[1,,2]", #"{"a":1} x"#, "01", "1.",
        ".5", "-", "1e", "1E400", "+1", "tru", "nul", #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#,
        "\"a\u{01}b\"", "'a'", "NaN", "[1] [2]", #"{"a":1}}"#,
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(self.read(text) == nil, "\(text)")
    }

    @Test func readsNumbersAsFoundationDid() {
        #expect(self.field(#"{"n":100}"#, "n") == .scalar(.integer(100)))
        #expect(self.field(#"{"n":1.0}"#, "n") == .scalar(.integer(1)))
        #expect(self.field(#"{"n":1e2}"#, "n") == .scalar(.integer(100)))
        #expect(self.field(#"{"n":-7}"#, "n") == .scalar(.integer(-7)))
        #expect(self.field(#"{"n":1.5}"#, "n") == .scalar(.number(1.5)))
        #expect(self.field(#"{"n":9223372036854775808}"#, "n") == .scalar(.number(9_223_372_036_854_775_808)))
    }

    @Test func readsTwoLevelsAndKeepsTheFirstOfDuplicateNames() {
        #expect(self.field(#"{"a":"x","a":"y"}"#, "a") == .scalar(.string("x")))
        #expect(
            self.field(#"{"d":{"k":"v","o":{"deep":1},"l":[1]}}"#, "d")
                == .object(["k": .string("v"), "o": .nested, "l": .nested])
        )
        #expect(self.field(#"{"l":[{"a":1}]}"#, "l") == .array)
        #expect(self.field(#"{"s":"caf\u00e9 \ud83d\ude00"}"#, "s") == .scalar(.string("café 😀")))
        guard case .array(let elements)? = self.read(#"[{"id":"1"}, 2, [3]]"#) else {
            Issue.record("not an array")
            return
        }
        #expect(elements.count == 3)
        if case .other(let scalar) = elements[2] { #expect(scalar == .nested) } else { Issue.record("not nested") }
    }
}
