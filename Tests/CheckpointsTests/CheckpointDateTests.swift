import Checkpoints
import Foundation
import Testing

@Suite struct CheckpointDateTests {
    @Test func datesSurviveASaveToTheMillisecond() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "r")
            let key = CheckpointKey(account: "a", container: "b", blobName: "c", eTag: "d")
            // Many instants whose Double fraction is not exact, plus one before 1970.
            var instants = (0..<500).map { Date(timeIntervalSince1970: 1_795_272_144 + Double($0) * 0.001 + 0.000_37) }
            instants.append(Date(timeIntervalSince1970: -1.2345))
            for instant in instants {
                let record = CheckpointRecord(key: key, at: instant)
                try store.save(record)
                #expect(try store.load(key) == record)
            }
        }
    }
}
