import Checkpoints
import Processing
import Testing

@testable import Consumer

/// Every transition of the message lifecycle, as a table: the events that bring the machine to a
/// state, the event under test, the actions expected and the state after.
@Suite struct MessageStateMachineTests {
    typealias Machine = MessageHandler.StateMachine

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let before: [Machine.Event]
        let event: Machine.Event
        let actions: [Machine.Action]
        let after: Machine.State
        var testDescription: String { self.name }
    }

    static let configuration: ConsumerConfiguration = {
        var configuration = ConsumerConfiguration()
        configuration.maxDequeueCount = 3
        configuration.visibilityTimeout = 30
        configuration.retryDelay = .seconds(10)
        return configuration
    }()

    static let retryable = ProcessingFailure(.retryable, reason: "download-failed", message: "reset")
    static let permanent = ProcessingFailure(.permanent, reason: "app-exit-65", message: "bad input")
    static let working: [Machine.Event] = [.decoded, .admitted(.acquired(attempt: 1, step: .received))]
    static let lastAttempt: [Machine.Event] = [.decoded, .admitted(.acquired(attempt: 3, step: .downloaded))]
    static let result = ProcessingResult(outputs: [ProcessingOutput(name: "a.out", size: 3)])

    static let rows: [Row] = [
        // Decoding
        Row(
            name: "skipped event is acknowledged",
            before: [],
            event: .skipped(code: "other-container"),
            actions: [.acknowledge(.skipped(code: "other-container"))],
            after: .done
        ),
        Row(
            name: "undecodable message is dead-lettered",
            before: [],
            event: .undecodable(detail: "not-json: x"),
            actions: [.deadLetter(.undecodableMessage, detail: "not-json: x", attempts: 2)],
            after: .deadLettering(claimed: false, attempts: 2)
        ),
        Row(name: "decoded work is claimed", before: [], event: .decoded, actions: [.claim], after: .admitting),
        // Admission
        Row(
            name: "finished version is a duplicate",
            before: [.decoded],
            event: .admitted(.finished),
            actions: [.acknowledge(.duplicate)],
            after: .done
        ),
        Row(
            name: "held version waits for the claim",
            before: [.decoded],
            event: .admitted(.heldByOther(seconds: 12)),
            actions: [.releaseMessage(afterSeconds: 13)],
            after: .done
        ),
        Row(
            name: "held version waits at least 5 s",
            before: [.decoded],
            event: .admitted(.heldByOther(seconds: 0)),
            actions: [.releaseMessage(afterSeconds: 5)],
            after: .done
        ),
        Row(
            name: "held version waits at most the visibility timeout",
            before: [.decoded],
            event: .admitted(.heldByOther(seconds: 500)),
            actions: [.releaseMessage(afterSeconds: 30)],
            after: .done
        ),
        Row(
            name: "acquired claim starts processing",
            before: [.decoded],
            event: .admitted(.acquired(attempt: 1, step: .received)),
            actions: [.process(resumeFrom: nil, attempt: 1)],
            after: .working(attempt: 1)
        ),
        Row(
            name: "acquired claim resumes after the step reached",
            before: [.decoded],
            event: .admitted(.acquired(attempt: 2, step: .processed)),
            actions: [.process(resumeFrom: .processed, attempt: 2)],
            after: .working(attempt: 2)
        ),
        Row(
            name: "unusable checkpoint folder retries later",
            before: [.decoded],
            event: .admissionFailed,
            actions: [.countFailure("checkpoint-folder"), .releaseMessage(afterSeconds: 20)],
            after: .done
        ),
        // Working
        Row(
            name: "a download of a second or more is noted and saved in the claim",
            before: working,
            event: .stepReached(.downloaded, seconds: 1),
            actions: [.noteStep(.downloaded, seconds: 1, save: true)],
            after: .working(attempt: 1)
        ),
        Row(
            name: "a quicker download is noted for the final record only: redoing it costs less than saving it",
            before: working,
            event: .stepReached(.downloaded, seconds: 0.5),
            actions: [.noteStep(.downloaded, seconds: 0.5, save: false)],
            after: .working(attempt: 1)
        ),
        Row(
            name: "a quick app run is noted for the final record only",
            before: working,
            event: .stepReached(.processed, seconds: 0.2),
            actions: [.noteStep(.processed, seconds: 0.2, save: false)],
            after: .working(attempt: 1)
        ),
        Row(
            name: "the app's run is saved: a later attempt does not run it again",
            before: working,
            event: .stepReached(.processed, seconds: 1),
            actions: [.noteStep(.processed, seconds: 1, save: true)],
            after: .working(attempt: 1)
        ),
        Row(
            name: "uploads are noted for the final record only: no attempt resumes after them",
            before: working,
            event: .stepReached(.uploaded, seconds: 0.25),
            actions: [.noteStep(.uploaded, seconds: 0.25, save: false)],
            after: .working(attempt: 1)
        ),
        Row(
            name: "processed work is saved",
            before: working,
            event: .processed(result, seconds: 2),
            actions: [.finish(result, seconds: 2)],
            after: .finishing(attempt: 1, seconds: 2, outputs: 1)
        ),
        Row(
            name: "retryable failure releases claim and message",
            before: working,
            event: .failed(retryable),
            actions: [
                .countFailure("download-failed"), .releaseClaim(lastError: retryable.description),
                .releaseMessage(afterSeconds: 10),
            ],
            after: .done
        ),
        Row(
            name: "retryable failure on the last attempt dead-letters",
            before: lastAttempt,
            event: .failed(retryable),
            actions: [
                .countFailure("download-failed"),
                .deadLetter(.dequeueLimitReached, detail: retryable.description, attempts: 3),
            ],
            after: .deadLettering(claimed: true, attempts: 3)
        ),
        Row(
            name: "permanent failure dead-letters",
            before: working,
            event: .failed(permanent),
            actions: [
                .countFailure("app-exit-65"),
                .deadLetter(.permanentFailure, detail: permanent.description, attempts: 1),
            ],
            after: .deadLettering(claimed: true, attempts: 1)
        ),
        Row(
            name: "lost lease gives the claim up and leaves the message",
            before: working,
            event: .leaseLost(detail: "gone"),
            actions: [.countFailure(.leaseLost), .releaseClaim(lastError: "lease-lost: gone")],
            after: .done
        ),
        Row(
            name: "timeout is a retryable failure",
            before: working,
            event: .timedOut(after: .seconds(5)),
            actions: [
                .countFailure(.timeout), .releaseClaim(lastError: "timeout: processing took longer than 5.0 seconds"),
                .releaseMessage(afterSeconds: 10),
            ],
            after: .done
        ),
        Row(
            name: "timeout on the last attempt dead-letters",
            before: lastAttempt,
            event: .timedOut(after: .seconds(5)),
            actions: [
                .countFailure(.timeout),
                .deadLetter(
                    .dequeueLimitReached,
                    detail: "timeout: processing took longer than 5.0 seconds",
                    attempts: 3
                ),
            ],
            after: .deadLettering(claimed: true, attempts: 3)
        ),
        Row(
            name: "shutdown releases claim and message at once",
            before: lastAttempt,
            event: .shuttingDown,
            actions: [
                .countFailure(.shutdown), .releaseClaim(lastError: "shutdown: cancelled by shutdown"),
                .releaseMessage(afterSeconds: 0),
            ],
            after: .done
        ),
        // Finishing
        Row(
            name: "saved record acknowledges",
            before: working + [.processed(result, seconds: 2)],
            event: .finishSaved,
            actions: [.acknowledge(.completed(seconds: 2, outputs: 1)), .removeWorkDirectory],
            after: .done
        ),
        Row(
            name: "unsaved record retries",
            before: working + [.processed(result, seconds: 2)],
            event: .finishFailed,
            actions: [
                .releaseClaim(lastError: "could not save the completed record"), .releaseMessage(afterSeconds: 10),
            ],
            after: .done
        ),
        // Dead-lettering
        Row(
            name: "dead letter of a claimed version acknowledges",
            before: working + [.failed(permanent)],
            event: .deadLettered,
            actions: [.acknowledge(.deadLettered), .removeWorkDirectory],
            after: .done
        ),
        Row(
            name: "dead letter of an undecodable message acknowledges",
            before: [.undecodable(detail: "x")],
            event: .deadLettered,
            actions: [.acknowledge(.deadLettered)],
            after: .done
        ),
        Row(
            name: "failed poison copy keeps the message",
            before: working + [.failed(permanent)],
            event: .deadLetterFailed,
            actions: [
                .releaseClaim(lastError: "could not copy to the poison queue"), .releaseMessage(afterSeconds: 10),
            ],
            after: .done
        ),
        Row(
            name: "failed poison copy of an undecodable message retries",
            before: [.undecodable(detail: "x")],
            event: .deadLetterFailed,
            actions: [.releaseMessage(afterSeconds: 20)],
            after: .done
        ),
        // Events that do not fit
        Row(
            name: "processed before admission is ignored",
            before: [.decoded],
            event: .processed(result, seconds: 1),
            actions: [],
            after: .admitting
        ),
        Row(
            name: "nothing happens after done",
            before: [.skipped(code: "x")],
            event: .decoded,
            actions: [],
            after: .done
        ),
        Row(
            name: "step after finishing is ignored",
            before: working + [.processed(result, seconds: 2)],
            event: .stepReached(.uploaded, seconds: 1),
            actions: [],
            after: .finishing(attempt: 1, seconds: 2, outputs: 1)
        ),
    ]

    @Test(arguments: rows)
    func transition(_ row: Row) {
        var machine = Machine(configuration: Self.configuration, dequeueCount: 2)
        for event in row.before { _ = machine.receive(event) }
        let actions = machine.receive(row.event)
        #expect(actions == row.actions)
        #expect(machine.state == row.after)
    }

    /// Every state of the table is reached, so no transition goes untested.
    @Test func everyStateIsCovered() {
        var reached: Set<String> = []
        for row in Self.rows {
            var machine = Machine(configuration: Self.configuration, dequeueCount: 2)
            for event in row.before { _ = machine.receive(event) }
            reached.insert(Self.name(machine.state))
        }
        #expect(reached == ["received", "admitting", "working", "finishing", "deadLettering", "done"])
    }

    private static func name(_ state: Machine.State) -> String {
        switch state {
        case .received: "received"
        case .admitting: "admitting"
        case .working: "working"
        case .finishing: "finishing"
        case .deadLettering: "deadLettering"
        case .done: "done"
        }
    }
}
