import DevLoop
import Testing

@Suite("Numbers on the dev screen")
struct HumanTextTests {
    @Test("sizes carry a unit and at most three significant figures")
    func bytes() {
        #expect(HumanText.bytes(0) == "0 bytes")
        #expect(HumanText.bytes(1) == "1 byte")
        #expect(HumanText.bytes(196) == "196 bytes")
        #expect(HumanText.bytes(1536) == "1.5 KiB")
        #expect(HumanText.bytes(200 * 1024 * 1024) == "200 MiB")
        #expect(HumanText.bytes(12_700_000) == "12.1 MiB")
    }

    @Test("durations: milliseconds below a second, then seconds, then minutes")
    func durations() {
        #expect(HumanText.seconds(0.076371872) == "76 ms")
        #expect(HumanText.seconds(1.4) == "1.4 s")
        #expect(HumanText.seconds(12.345) == "12.3 s")
        #expect(HumanText.seconds(125) == "2 min 05 s")
        #expect(HumanText.duration(.milliseconds(420)) == "420 ms")
    }

    @Test("counts agree with their noun")
    func plurals() {
        #expect(HumanText.count(1, "event") == "1 event")
        #expect(HumanText.count(0, "output") == "0 outputs")
        #expect(HumanText.count(2, "output") == "2 outputs")
        #expect(HumanText.count(3, "entry", plural: "entries") == "3 entries")
    }
}
