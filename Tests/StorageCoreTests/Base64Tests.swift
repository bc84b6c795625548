import StorageCore
import Testing

@Suite struct Base64Tests {
    /// RFC 4648 section 10 test vectors.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func roundTripsEveryByteAndLength() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for length in 0...bytes.count {
            let slice = bytes[0..<length]
            #expect(Base64.decode(Base64.encode(slice)) == Array(slice))
        }
        let all = Array(0...255).map(UInt8.init)
        #expect(Base64.encode(all).hasSuffix("+/w=="))
    }

    @Test func decodesAnMD5() {
        // MD5 of the empty string, as Azure lists it in Content-MD5.
        #expect(
            Base64.decode("1B2M2Y8AsgTpgAmY7PhCfg==") == [
                0xD4, 0x1D, 0x8C, 0xD9, 0x8F, 0x00, 0xB2, 0x04, 0xE9, 0x80, 0x09, 0x98, 0xEC, 0xF8, 0x42, 0x7E,
            ]
        )
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm9", "Zm9vY", "Z===", "====", "=Zg=", "Zg==Zg==", "Zm=v", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v-_==",
        "Zm9v====", "Zm9\u{0}", "Zm9é", "Zm9vYmFy=",
    ])
    func rejectsNonStrictInput(input: String) {
        #expect(Base64.decode(input) == nil)
    }

    @Test func acceptsSubstrings() {
        let text = "x:Zm9v"
        #expect(Base64.decode(text.dropFirst(2)) == Array("foo".utf8))
    }
}
