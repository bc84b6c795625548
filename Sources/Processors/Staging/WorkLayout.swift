/// Where a job's files live inside its staging folder.
///
/// ```
/// WORK/input/<file>      the downloaded blob
/// WORK/output/           what the app writes; each file becomes an output blob
/// WORK/app.log           the app's stdout and stderr, every attempt appended
/// WORK/.processed        written after the app exits 0; lets a resumed attempt skip the run
/// WORK/_manifest.json    the completion record, uploaded last
/// ```
struct WorkLayout: Sendable {
    /// The job's staging folder, the app's working directory.
    let root: String

    var inputDirectory: String { self.root + "/input" }
    var outputDirectory: String { self.root + "/output" }
    var logFile: String { self.root + "/app.log" }
    var processedMarker: String { self.root + "/.processed" }
    var manifestFile: String { self.root + "/_manifest.json" }

    /// The local path of the downloaded blob, named by ``SafeFileName``.
    func inputFile(named fileName: String) -> String {
        self.inputDirectory + "/" + fileName
    }
}
