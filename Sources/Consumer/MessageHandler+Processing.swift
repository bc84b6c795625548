import BlobEvents
import Checkpoints
import Logging
import Processing
import StorageClient
import StorageCore
import Synchronization

extension MessageHandler {
    /// How a run of the processor ended, as the state machine hears it.
    private enum Finished: Sendable {
        case event(StateMachine.Event)
        /// A task of the group ended without deciding (cancelled, or the lease keeper stopped).
        case undecided
    }

    /// Runs the processor while the lease and the claim are kept, under the process timeout.
    func process(_ work: MessageWork, resumeFrom: ProcessingStep?, attempt: Int) async -> StateMachine.Event {
        guard let item = work.item, let key = work.key, let claim = work.claim.withLock({ $0 }) else {
            return .failed(ProcessingFailure(.retryable, reason: .error, message: "no claim is held"))
        }
        let job = ProcessingJob(
            item: item,
            resumeFrom: resumeFrom,
            attempt: attempt,
            workDirectory: self.workDirectory(key)
        )
        let context = ProcessingContext(logger: work.logger) { step, seconds in
            await self.drive(.stepReached(step, seconds: seconds), work)
        }
        let started = ContinuousClock.now
        let timeout = self.configuration.processTimeout
        let processor = self.processor
        return await withTaskGroup(of: Finished.self) { group in
            group.addTask {
                do {
                    let result = try await processor.process(job, context: context)
                    return .event(.processed(result, seconds: (ContinuousClock.now - started).fractionalSeconds))
                } catch let failure as ProcessingFailure {
                    return .event(.failed(failure))
                } catch is CancellationError {
                    return .undecided
                } catch {
                    return .event(.failed(ProcessingFailure(.retryable, reason: .error, message: "\(error)")))
                }
            }
            group.addTask { await self.keepLease(work.lease, claim: claim, logger: work.logger) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .event(.timedOut(after: timeout))
                } catch {
                    return .undecided
                }
            }
            var outcome: StateMachine.Event?
            while let finished = await group.next() {
                guard case .event(let event) = finished else {
                    if outcome == nil, Task.isCancelled { outcome = .shuttingDown }
                    continue
                }
                outcome = event
                break
            }
            group.cancelAll()
            while await group.next() != nil {}
            return outcome ?? .shuttingDown
        }
    }

    /// Renews the message's lease and the claim until cancelled; reports a lost lease.
    private func keepLease(_ lease: MessageLease, claim: Claim, logger: Logger) async -> Finished {
        let keeper = LeaseKeeper(
            queue: self.queue,
            visibilityTimeout: self.configuration.visibilityTimeout,
            logger: logger
        )
        let claimTTL = Duration.seconds(self.configuration.visibilityTimeout)
        let store = self.store
        let statistics = self.statistics
        do {
            try await keeper.keep(lease) {
                statistics.recordLeaseRenewal()
                // Only `false` means the claim is gone; an error (a busy lock, a share that did
                // not answer) leaves it as it was until the next renewal.
                if (try? await BlockingIO.run { try store.renew(claim, ttl: claimTTL) }) == false {
                    throw LeaseLost(messageID: lease.messageID, detail: "the checkpoint claim was taken over")
                }
            }
            return .undecided
        } catch {
            return .event(.leaseLost(detail: "\(error)"))
        }
    }
}
