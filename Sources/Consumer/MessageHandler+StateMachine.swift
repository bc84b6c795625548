import Checkpoints
import Processing

extension MessageHandler {
    /// The decisions of one message's life, apart from the I/O that carries them out: the driver
    /// (``MessageHandler``) feeds in what happened (decoded, admitted, a step reached, processed,
    /// failed for a typed reason, lease lost, timed out, shutting down, a record saved) and
    /// performs the actions returned (claim, process, save, acknowledge, release, dead-letter).
    ///
    /// Every path ends in `done` with the message deleted (completed, skipped, duplicate,
    /// dead-lettered), made visible again later (a retryable failure, a version another replica
    /// is working on), or left to whoever now holds it (lease lost). An event that does not fit
    /// the state is ignored and returns no action.
    struct StateMachine: Sendable {
        enum State: Sendable, Hashable {
            case received
            case admitting
            case working(attempt: Int)
            case finishing(attempt: Int, seconds: Double, outputs: Int)
            case deadLettering(claimed: Bool, attempts: Int)
            case done
        }

        /// What the checkpoint claim answered.
        enum Admission: Sendable, Hashable {
            /// This replica holds the claim; `attempt` counts this one, `step` is the progress.
            case acquired(attempt: Int, step: CheckpointStep)
            /// Another worker holds it for `seconds` more.
            case heldByOther(seconds: Int)
            /// The version is completed or dead-lettered.
            case finished
        }

        enum Event: Sendable, Hashable {
            /// Decoded, but not work for this consumer (skip reason code).
            case skipped(code: String)
            /// Not an event at all; goes to the poison queue as it came.
            case undecodable(detail: String)
            /// Decoded into work.
            case decoded
            case admitted(Admission)
            /// The checkpoint folder could not be used.
            case admissionFailed
            case stepReached(ProcessingStep, seconds: Double)
            case processed(ProcessingResult, seconds: Double)
            case failed(ProcessingFailure)
            case leaseLost(detail: String)
            case timedOut(after: Duration)
            case shuttingDown
            /// The final record is written and flushed.
            case finishSaved
            case finishFailed
            /// The message reached the poison queue and the records were written.
            case deadLettered
            /// The copy to the poison queue failed.
            case deadLetterFailed
        }

        enum Acknowledgement: Sendable, Hashable {
            case skipped(code: String)
            case duplicate
            case completed(seconds: Double, outputs: Int)
            case deadLettered
        }

        enum Action: Sendable, Hashable {
            case claim
            case process(resumeFrom: ProcessingStep?, attempt: Int)
            /// Note a step in the progress; with `save`, also in the claim on the share, so a later
            /// attempt resumes after it.
            case noteStep(ProcessingStep, seconds: Double, save: Bool)
            /// Write and flush the completed record.
            case finish(ProcessingResult, seconds: Double)
            case deadLetter(DeadLetterRecord.Reason, detail: String, attempts: Int)
            /// Delete the message.
            case acknowledge(Acknowledgement)
            /// Make the message visible again after `seconds`.
            case releaseMessage(afterSeconds: Int)
            /// Give the claim up, keeping the progress and the error.
            case releaseClaim(lastError: String?)
            case removeWorkDirectory
            case countFailure(ProcessingFailure.Reason)
        }

        /// How a message arriving a version another replica holds waits, at least and at most.
        static let heldWait = (least: 5, most: 60)

        private(set) var state: State = .received
        let configuration: ConsumerConfiguration
        /// The queue's dequeue count of this delivery.
        let dequeueCount: Int

        init(configuration: ConsumerConfiguration, dequeueCount: Int) {
            self.configuration = configuration
            self.dequeueCount = dequeueCount
        }

        /// Moves on with `event` and returns what to do, in order.
        mutating func receive(_ event: Event) -> [Action] {
            switch (self.state, event) {
            case (.received, _), (.admitting, _):
                return self.admission(event)
            case (.working(let attempt), _):
                return self.working(attempt: attempt, event)
            case (.finishing(_, let seconds, let outputs), .finishSaved):
                self.state = .done
                return [.acknowledge(.completed(seconds: seconds, outputs: outputs)), .removeWorkDirectory]
            case (.finishing(let attempt, _, _), .finishFailed):
                // Outputs are uploaded but the record could not be written: keep the message so a
                // later delivery runs again (outputs are overwritten under the same names).
                self.state = .done
                return [
                    .releaseClaim(lastError: "could not save the completed record"),
                    .releaseMessage(afterSeconds: self.retryDelay(attempt)),
                ]
            case (.deadLettering(let claimed, _), .deadLettered):
                self.state = .done
                return [.acknowledge(.deadLettered)] + (claimed ? [.removeWorkDirectory] : [])
            case (.deadLettering(let claimed, let attempts), .deadLetterFailed):
                self.state = .done
                return (claimed ? [.releaseClaim(lastError: "could not copy to the poison queue")] : [])
                    + [.releaseMessage(afterSeconds: self.retryDelay(attempts))]
            default:
                return []
            }
        }

        private mutating func admission(_ event: Event) -> [Action] {
            switch (self.state, event) {
            case (.received, .skipped(let code)):
                self.state = .done
                return [.acknowledge(.skipped(code: code))]
            case (.received, .undecodable(let detail)):
                self.state = .deadLettering(claimed: false, attempts: self.dequeueCount)
                return [.deadLetter(.undecodableMessage, detail: detail, attempts: self.dequeueCount)]
            case (.received, .decoded):
                self.state = .admitting
                return [.claim]
            case (.admitting, .admitted(.finished)):
                self.state = .done
                return [.acknowledge(.duplicate)]
            case (.admitting, .admitted(.heldByOther(let seconds))):
                // Look again once the claim could have expired, or within a minute: the holder
                // renews it while it works but may finish long before (then this is a duplicate).
                self.state = .done
                let wait = max(
                    Self.heldWait.least,
                    min(seconds + 1, self.configuration.visibilityTimeout, Self.heldWait.most)
                )
                return [.releaseMessage(afterSeconds: wait)]
            case (.admitting, .admitted(.acquired(let attempt, let step))):
                self.state = .working(attempt: attempt)
                return [.process(resumeFrom: ProcessingStep(rawValue: step.rawValue), attempt: attempt)]
            case (.admitting, .admissionFailed):
                self.state = .done
                return [
                    .countFailure("checkpoint-folder"),
                    .releaseMessage(afterSeconds: self.retryDelay(self.dequeueCount)),
                ]
            default:
                return []
            }
        }

        /// The shortest step worth a claim rewrite; see ``isWorthSaving(_:seconds:)``.
        static var minimumSavedStepSeconds: Double { 1 }

        /// Whether a step reached is saved in the claim at once, so that an attempt that ends
        /// without releasing the claim (a crash, a lost lease) is resumed after it. A download or
        /// an app run is, when it took at least ``minimumSavedStepSeconds``: a quicker one costs
        /// less to redo after such a rare end than the rewrite costs every event (about 4 file
        /// operations, each a round trip on a share). A failed attempt releases the claim with
        /// all the steps it reached, saved or not, so its retry skips them either way. An upload
        /// is never saved: the final record follows it, and no attempt resumes after it.
        static func isWorthSaving(_ step: ProcessingStep, seconds: Double) -> Bool {
            step != .uploaded && seconds >= Self.minimumSavedStepSeconds
        }

        private mutating func working(attempt: Int, _ event: Event) -> [Action] {
            switch event {
            case .stepReached(let step, let seconds):
                return [.noteStep(step, seconds: seconds, save: Self.isWorthSaving(step, seconds: seconds))]
            case .processed(let result, let seconds):
                self.state = .finishing(attempt: attempt, seconds: seconds, outputs: result.outputs.count)
                return [.finish(result, seconds: seconds)]
            case .leaseLost(let detail):
                return self.failed(ProcessingFailure(.retryable, reason: .leaseLost, message: detail), attempt: attempt)
            case .timedOut(let limit):
                return self.failed(
                    ProcessingFailure(.retryable, reason: .timeout, message: "processing took longer than \(limit)"),
                    attempt: attempt
                )
            case .shuttingDown:
                return self.failed(
                    ProcessingFailure(.retryable, reason: .shutdown, message: "cancelled by shutdown"),
                    attempt: attempt
                )
            case .failed(let failure):
                return self.failed(failure, attempt: attempt)
            default:
                return []
            }
        }

        private mutating func failed(_ failure: ProcessingFailure, attempt: Int) -> [Action] {
            let count = Action.countFailure(failure.reason)
            let error = failure.description
            switch failure.reason {
            case .leaseLost:
                // Whoever holds the message now owns its outcome.
                self.state = .done
                return [count, .releaseClaim(lastError: error)]
            case .shutdown:
                self.state = .done
                return [count, .releaseClaim(lastError: error), .releaseMessage(afterSeconds: 0)]
            default:
                break
            }
            if failure.kind == .permanent || attempt >= self.configuration.maxDequeueCount {
                self.state = .deadLettering(claimed: true, attempts: attempt)
                let reason: DeadLetterRecord.Reason =
                    failure.kind == .permanent ? .permanentFailure : .dequeueLimitReached
                return [count, .deadLetter(reason, detail: error, attempts: attempt)]
            }
            self.state = .done
            return [count, .releaseClaim(lastError: error), .releaseMessage(afterSeconds: self.retryDelay(attempt))]
        }

        private func retryDelay(_ delivery: Int) -> Int {
            Int(self.configuration.retryDelay(afterDelivery: delivery).components.seconds)
        }
    }
}
