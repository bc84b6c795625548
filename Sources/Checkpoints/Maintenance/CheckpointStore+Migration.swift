extension CheckpointStore {
    /// Converts a folder of blobflow's first layout, once: there every record (in progress or
    /// final) lived in `records/` and a claim existed only while work ran. Every record gets the
    /// claim that layout 2 keeps beside it; an unfinished record's progress moves into that claim
    /// (expired, so the next delivery takes it over) and the record file goes. Then `layout-2` is
    /// written and later opens cost one `stat`.
    ///
    /// Replicas of the first layout must be stopped before one of this layout starts on the same
    /// folder (they would not see the new claims). Several replicas of this layout converting at
    /// once is safe: every step is idempotent. Damaged files are left for `status` and pruning.
    func migrateIfNeeded() throws(CheckpointError) {
        if try FileSystem.exists(self.layout.layoutMarker) { return }
        for bucket in try FileSystem.list(self.layout.records) where !bucket.hasPrefix(".") {
            let folder = self.layout.records + "/" + bucket
            for name in try FileSystem.list(folder) where Self.isDataFile(name) {
                let path = folder + "/" + name
                guard let file = try FileSystem.readFile(path),
                    let record = try? CheckpointJSON.decode(CheckpointRecord.self, from: file.bytes),
                    name == record.key.digest + ".json"
                else { continue }
                try self.ensureClaim(for: record)
                if !record.step.isFinal { try FileSystem.remove(path) }
            }
        }
        let marker = self.layout.layoutMarker
        try self.writeAtomically(Array("2\n".utf8), to: marker, name: "layout-2")
    }
}
