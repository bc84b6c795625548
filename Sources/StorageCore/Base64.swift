/// Standard base64 (RFC 4648 section 4, `+` and `/`, with padding) as Azure Storage uses it:
/// `Content-MD5` values, account and user delegation keys, signatures, block ids and queue messages.
///
/// Decoding is strict: the length must be a multiple of four, padding is required, and
/// whitespace or characters outside the alphabet make the whole input invalid. Non-zero bits in
/// the last character before the padding are accepted, as Python's and Foundation's decoders do;
/// unlike Foundation's, `=` is accepted only at the end.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 6-bit value of each byte, or 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The bytes `s` encodes, or nil when it is not strict, padded base64.
    public static func decode(_ s: some StringProtocol) -> [UInt8]? {
        let input = Array(s.utf8)
        guard input.count % 4 == 0 else { return nil }
        guard !input.isEmpty else { return [] }
        let padding = input.last == UInt8(ascii: "=") ? (input[input.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let usable = isLast ? 4 - padding : 4
            var group: UInt32 = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                let value: UInt8
                if offset < usable {
                    value = Self.values[Int(byte)]
                    guard value != 0xFF else { return nil }
                } else {
                    // Only the final group's trailing characters may be padding.
                    guard byte == UInt8(ascii: "=") else { return nil }
                    value = 0
                }
                group = group << 6 | UInt32(value)
            }
            output.append(UInt8(truncatingIfNeeded: group >> 16))
            if usable > 2 { output.append(UInt8(truncatingIfNeeded: group >> 8)) }
            if usable > 3 { output.append(UInt8(truncatingIfNeeded: group)) }
            index += 4
        }
        return output
    }

    /// `bytes` as padded base64.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = second == nil ? nil : iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(Self.alphabet[Int(group >> 18 & 0x3F)])
            output.append(Self.alphabet[Int(group >> 12 & 0x3F)])
            output.append(second == nil ? UInt8(ascii: "=") : Self.alphabet[Int(group >> 6 & 0x3F)])
            output.append(third == nil ? UInt8(ascii: "=") : Self.alphabet[Int(group & 0x3F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
