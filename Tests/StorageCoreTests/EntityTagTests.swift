import StorageCore
import Testing

@Suite struct EntityTagTests {
    @Test(arguments: [
        ("0x8D1", "\"0x8D1\""),
        ("\"0x8D1\"", "\"0x8D1\""),
        ("W/0x8D1", "\"W/0x8D1\""),
    ])
    func quotesStrongTags(input: String, expected: String) {
        #expect(EntityTag.quoted(input) == expected)
    }

    @Test(arguments: ["", "\"\"", "W/\"0x8D1\"", "0x\"8D1", "0x 8D1", "0x8D1é", "\"0x8D1"])
    func rejectsWhatIsNotAStrongTag(input: String) {
        #expect(EntityTag.quoted(input) == nil)
    }

    @Test(arguments: [
        ("0x8D1", "\"0x8D1\""),
        ("\"0x8D1\"", "\"0x8D1\""),
        ("W/\"0x8D1\"", "W/\"0x8D1\""),
        ("W/0x8D1", "\"W/0x8D1\""),
        ("\"0x8D1", "\"0x8D1"),
        ("", "\"\""),
    ])
    func quotesOnlyBareTags(input: String, expected: String) {
        #expect(EntityTag.quotedIfBare(input) == expected)
    }

    @Test(arguments: [
        ("\"0x8D1\"", "0x8D1"),
        ("0x8D1", "0x8D1"),
        ("W/\"0x8D1\"", "W/\"0x8D1\""),
        ("\"", "\""),
        ("\"\"", ""),
        ("\"0x8D1", "\"0x8D1"),
    ])
    func unquotesKeepingWeakness(input: String, expected: String) {
        #expect(EntityTag.unquoted(input) == expected)
    }

    @Test(arguments: [
        ("\"0x8D1\"", "0x8D1"),
        ("W/\"0x8D1\"", "0x8D1"),
        ("W/0x8D1", "0x8D1"),
        ("0x8D1", "0x8D1"),
        ("W/", ""),
        ("\"", "\""),
    ])
    func opaqueTagDropsWeaknessAndQuotes(input: String, expected: String) {
        #expect(EntityTag.opaque(input) == expected)
    }
}
