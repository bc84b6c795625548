import Checkpoints
import Foundation
import Testing

@Suite struct ClaimTests {
    static let key = CheckpointKey(account: "acct", container: "inbox", blobName: "big.bin", eTag: "0xABC")

    /// Two replicas' stores on one folder, on one clock.
    static func replicas(in folder: String, clock: ManualClock) throws -> (CheckpointStore, CheckpointStore) {
        (
            try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function),
            try CheckpointStore(directory: folder, replicaID: "replica-b", clock: clock.function)
        )
    }

    /// Claims ``key`` for 60 s, which must succeed.
    static func acquire(_ store: CheckpointStore) throws -> Claim {
        let outcome = try store.claim(Self.key, ttl: .seconds(60))
        guard case .acquired(let claim) = outcome else {
            throw ClaimNotAcquired(outcome: outcome)
        }
        return claim
    }

    struct ClaimNotAcquired: Error {
        var outcome: ClaimOutcome
    }

    @Test func claimIsExclusiveBetweenReplicas() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let a = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let b = try CheckpointStore(directory: folder, replicaID: "replica-b", clock: clock.function)

            guard case .acquired(let claim) = try a.claim(Self.key, ttl: .seconds(60)) else {
                Issue.record("the first claim should succeed")
                return
            }
            #expect(claim.owner == "replica-a")
            #expect(
                try b.claim(Self.key, ttl: .seconds(60))
                    == .heldByOther(owner: "replica-a", expiresAt: clock.now.addingTimeInterval(60))
            )
            // The same replica's second task is kept out too.
            #expect(
                try a.claim(Self.key, ttl: .seconds(60))
                    == .heldByOther(owner: "replica-a", expiresAt: clock.now.addingTimeInterval(60))
            )
            // Another version of the same blob is separate work.
            let next = CheckpointKey(account: "acct", container: "inbox", blobName: "big.bin", eTag: "0xDEF")
            guard case .acquired = try b.claim(next, ttl: .seconds(60)) else {
                Issue.record("another version should be claimable")
                return
            }

            let text = try String(
                contentsOfFile: "\(folder)/claims/\(Self.key.digest.prefix(2))/\(Self.key.digest).claim",
                encoding: .utf8
            )
            for field in [
                "\"owner\" : \"replica-a\"", "\"expiresAt\" : ", "\"pid\" : ", "\"host\" : ",
                "\"blobName\" : \"big.bin\"",
            ] {
                #expect(text.contains(field))
            }

            #expect(try a.release(claim))
            guard case .acquired = try b.claim(Self.key, ttl: .seconds(60)) else {
                Issue.record("a released claim should be free")
                return
            }
        }
    }

    /// A note while more than half the TTL is left rewrites the claim without its lock; closer
    /// to expiry it goes through the lock and never overwrites a claim taken over meanwhile.
    @Test func notesSkipTheLockOnlyWhileTheClaimCannotBeTakenOver() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let (a, b) = try Self.replicas(in: folder, clock: clock)
            let claim = try Self.acquire(a)
            // Someone holds the claim's lock file (a fresh one): a note that needed it would wait
            // and fail as busy; with 60 s of 60 left it does not need it.
            let lock = "\(folder)/claims/\(Self.key.digest.prefix(2))/\(Self.key.digest).lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data("{}".utf8)))
            #expect(try a.note(claim) { $0.complete(.downloaded, took: .seconds(2), at: clock.now) })
            #expect(try a.load(Self.key)?.step == .downloaded)
            #expect(try a.isHeld(claim))
            try FileManager.default.removeItem(atPath: lock)

            // Renewed at 20 s: the note at 40 s has 40 s of 60 left and still writes directly.
            clock.advance(by: 20)
            #expect(try a.renew(claim, ttl: .seconds(60)))
            clock.advance(by: 20)
            #expect(try a.note(claim) { $0.complete(.processed, took: .seconds(1), at: clock.now) })
            #expect(try a.load(Self.key)?.step == .processed)
            #expect(try a.isHeld(claim), "the direct write kept the renewed expiry")

            // Past expiry another replica takes the claim over; the old holder's note, now under
            // the lock, learns it and leaves the new claim alone.
            clock.advance(by: 41)
            let taken = try Self.acquire(b)
            #expect(try !a.note(claim) { $0.complete(.uploaded, took: .seconds(1), at: clock.now) })
            #expect(try b.isHeld(taken))
            #expect(try b.load(Self.key)?.step == .processed)
        }
    }

    /// A release carries the holder's own progress, so a note still on its way loses nothing.
    @Test func releaseWritesTheHoldersProgress() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let (a, _) = try Self.replicas(in: folder, clock: clock)
            let claim = try Self.acquire(a)
            var progress = claim.record
            progress.complete(.processed, took: .seconds(3), at: clock.now)
            #expect(try a.release(claim, lastError: "upload failed", progress: progress))
            let saved = try #require(try a.load(Self.key))
            #expect(saved.step == .processed && saved.timings["processed"] == 3)
            #expect(saved.lastError == "upload failed")
            #expect(try !a.isHeld(claim))
        }
    }

    @Test func staleClaimIsTakenOverAndTheOldOwnerLearnsIt() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let a = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let b = try CheckpointStore(directory: folder, replicaID: "replica-b", clock: clock.function)
            guard case .acquired(let old) = try a.claim(Self.key, ttl: .seconds(30)) else {
                Issue.record("the first claim should succeed")
                return
            }
            clock.advance(by: 29)
            if case .acquired = try b.claim(Self.key, ttl: .seconds(30)) { Issue.record("not expired yet") }
            clock.advance(by: 2)
            guard case .acquired(let new) = try b.claim(Self.key, ttl: .seconds(30)) else {
                Issue.record("an expired claim should be taken over")
                return
            }
            #expect(new.owner == "replica-b")
            #expect(try !a.isHeld(old))
            #expect(try !a.renew(old, ttl: .seconds(30)))
            #expect(try !a.release(old))
            #expect(try b.isHeld(new))
            // The stale claim was replaced in place: the name was never free.
            #expect(filesUnder(folder + "/claims").filter { $0.hasSuffix(".claim") }.count == 1)
            #expect(new.record.attempts == 2)
        }
    }

    @Test func renewExtendsOnlyOurOwnClaim() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let a = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            let b = try CheckpointStore(directory: folder, replicaID: "replica-b", clock: clock.function)
            guard case .acquired(let claim) = try a.claim(Self.key, ttl: .seconds(30)) else {
                Issue.record("the first claim should succeed")
                return
            }
            clock.advance(by: 20)
            #expect(try a.renew(claim, ttl: .seconds(30)))
            clock.advance(by: 20)  // 40 s after the start: alive thanks to the renewal
            #expect(
                try b.claim(Self.key, ttl: .seconds(30))
                    == .heldByOther(owner: "replica-a", expiresAt: clock.now.addingTimeInterval(10))
            )
            // Expired but not taken over: still ours, and renewing keeps it.
            clock.advance(by: 15)
            #expect(try a.isHeld(claim))
            #expect(try a.renew(claim, ttl: .seconds(30)))
            if case .acquired = try b.claim(Self.key, ttl: .seconds(30)) { Issue.record("renewed claim was taken") }
            // Another store with the same replica id but a different claim token cannot release it.
            let forged = try CheckpointStore(directory: folder, replicaID: "replica-a", clock: clock.function)
            clock.advance(by: 31)
            guard case .acquired(let other) = try forged.claim(Self.key, ttl: .seconds(30)) else {
                Issue.record("expired claim should be taken over")
                return
            }
            #expect(try !a.release(claim))
            #expect(try forged.isHeld(other))
            #expect(try forged.release(other))
            #expect(try !forged.release(other))
            #expect(filesUnder(folder + "/claims").allSatisfy { !$0.hasSuffix(".lock") })
            // Given up: the next claimant takes it at once, with its progress.
            guard case .acquired(let next) = try b.claim(Self.key, ttl: .seconds(30)) else {
                Issue.record("a released claim should be taken over at once")
                return
            }
            #expect(next.record.attempts == 3)
        }
    }

    @Test func exactlyOneOfManyConcurrentContendersWins() throws {
        try withTemporaryFolder { folder in
            let contenders = 8
            let stores = try (0..<contenders).map { try CheckpointStore(directory: folder, replicaID: "replica-\($0)") }
            for round in 0..<25 {
                let key = CheckpointKey(account: "acct", container: "inbox", blobName: "file-\(round)", eTag: "0x1")
                let outcomes = onThreads(contenders) { index in
                    Result { try stores[index].claim(key, ttl: .seconds(60)) }
                }
                let winners = outcomes.compactMap { outcome -> Claim? in
                    if case .success(.acquired(let claim)) = outcome { return claim }
                    return nil
                }
                #expect(winners.count == 1, "round \(round): \(outcomes)")
                let losers = outcomes.compactMap { outcome -> String? in
                    if case .success(.heldByOther(let owner, _)) = outcome { return owner }
                    return nil
                }
                #expect(losers.count == contenders - 1)
                #expect(losers.allSatisfy { $0 == winners.first?.owner || $0 == "unknown" })
            }
        }
    }

    @Test func exactlyOneOfManyConcurrentContendersTakesOverAStaleClaim() throws {
        try withTemporaryFolder { folder in
            let clock = ManualClock()
            let contenders = 8
            let stores = try (0..<contenders).map {
                try CheckpointStore(directory: folder, replicaID: "replica-\($0)", clock: clock.function)
            }
            let crashed = try CheckpointStore(directory: folder, replicaID: "crashed", clock: clock.function)
            for round in 0..<15 {
                let key = CheckpointKey(account: "acct", container: "inbox", blobName: "file-\(round)", eTag: "0x1")
                guard case .acquired(let abandoned) = try crashed.claim(key, ttl: .seconds(10)) else {
                    Issue.record("setup claim failed")
                    return
                }
                clock.advance(by: 11)
                let outcomes = onThreads(contenders) { index in
                    Result { try stores[index].claim(key, ttl: .seconds(60)) }
                }
                let winners = outcomes.compactMap { outcome -> Claim? in
                    if case .success(.acquired(let claim)) = outcome { return claim }
                    return nil
                }
                #expect(winners.count == 1, "round \(round): \(outcomes)")
                #expect(outcomes.allSatisfy { (try? $0.get()) != nil }, "round \(round): \(outcomes)")
                if let winner = winners.first {
                    #expect(try stores.allSatisfy { try $0.isHeld(winner) })
                }
                #expect(try !crashed.renew(abandoned, ttl: .seconds(10)))
            }
            #expect(filesUnder(folder + "/claims").allSatisfy { !$0.hasSuffix(".lock") })
        }
    }

    @Test func emptyClaimFileCountsAsHeldUntilItsGraceEnds() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            let path = "\(folder)/claims/\(Self.key.digest.prefix(2))/\(Self.key.digest).claim"
            // A replica crashed between creating its claim and writing it.
            try FileManager.default.createDirectory(
                atPath: "\(folder)/claims/\(Self.key.digest.prefix(2))",
                withIntermediateDirectories: true
            )
            #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            guard case .heldByOther(let owner, _) = try store.claim(Self.key, ttl: .seconds(60)) else {
                Issue.record("a claim being written must not be taken")
                return
            }
            #expect(owner == "unknown")
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-120)],
                ofItemAtPath: path
            )
            guard case .acquired = try store.claim(Self.key, ttl: .seconds(60)) else {
                Issue.record("an old empty claim should be taken over")
                return
            }
        }
    }

    @Test func lockLeftByACrashIsBroken() throws {
        try withTemporaryFolder { folder in
            let store = try CheckpointStore(directory: folder, replicaID: "replica-a")
            guard case .acquired(let claim) = try store.claim(Self.key, ttl: .seconds(60)) else {
                Issue.record("the first claim should succeed")
                return
            }
            let lock = "\(folder)/claims/\(Self.key.digest.prefix(2))/\(Self.key.digest).lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data("{}".utf8)))
            // A fresh lock is waited for, then reported as busy.
            let started = ContinuousClock.now
            #expect {
                try store.renew(claim, ttl: .seconds(60))
            } throws: { error in
                (error as? CheckpointError)?.isBusy == true
            }
            #expect(ContinuousClock.now - started >= .seconds(1))
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-120)],
                ofItemAtPath: lock
            )
            #expect(try store.renew(claim, ttl: .seconds(60)))
            #expect(!FileManager.default.fileExists(atPath: lock))
        }
    }
}
