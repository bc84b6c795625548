import BlobEvents
import Testing

@Suite struct BlobEventSubjectTests {
    @Test func parsesBlobSubjects() {
        let subject = BlobEventSubject(parsing: "/blobServices/default/containers/input/blobs/scans/2026/tile-001.tif")
        #expect(subject?.container == "input")
        #expect(subject?.blobName == "scans/2026/tile-001.tif")
        #expect(subject?.description == "/blobServices/default/containers/input/blobs/scans/2026/tile-001.tif")
    }

    @Test(arguments: [
        "", "/blobServices/default/containers/input", "/blobServices/default/containers//blobs/x", "/fileServices/x",
    ])
    func rejectsOtherSubjects(subject: String) {
        #expect(BlobEventSubject(parsing: subject) == nil)
    }
}
