// Fills a queue, then drains it with receive(32) + delete cycles on a few concurrent loops, and
// prints a JSON line: {"messages": N, "put_per_s": X, "drain_per_s": Y}
//
// queue-bench CONNECTION_STRING QUEUE [MESSAGES] [LOOPS]
import Foundation
import StorageClient
import StorageHTTP
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: queue-bench CONNECTION_STRING QUEUE [MESSAGES] [LOOPS]\n".utf8))
    exit(2)
}
let total = arguments.count > 3 ? Int(arguments[3]) ?? 20_000 : 20_000
let loops = arguments.count > 4 ? Int(arguments[4]) ?? 4 : 4
let pipeline = StoragePipeline(account: try StorageAccount(connectionString: arguments[1]), http: try CurlTransport())
let queue = pipeline.queue(arguments[2])
try await queue.createIfNotExists()
try await queue.clearMessages()

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

// An Event Grid BlobCreated event is about 1 KiB once base64-encoded.
let payload = String(repeating: "e", count: 1024)
let putStart = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for worker in 0..<32 {
        group.addTask {
            for _ in stride(from: worker, to: total, by: 32) {
                try await queue.sendMessage(payload)
            }
        }
    }
    try await group.waitForAll()
}
let putSeconds = seconds(since: putStart)

let drained = Atomic<Int>(0)
let drainStart = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for _ in 0..<loops {
        group.addTask {
            while true {
                let messages = try await queue.receiveMessages(maxMessages: 32, visibilityTimeout: 300)
                if messages.isEmpty { return }
                try await withThrowingTaskGroup(of: Void.self) { deletes in
                    for message in messages {
                        deletes.addTask {
                            try await queue.deleteMessage(id: message.messageID, popReceipt: message.popReceipt)
                        }
                    }
                    try await deletes.waitForAll()
                }
                drained.add(messages.count, ordering: .relaxed)
            }
        }
    }
    try await group.waitForAll()
}
let drainSeconds = seconds(since: drainStart)
let count = drained.load(ordering: .relaxed)
print(
    #"{"messages": \#(count), "put_per_s": \#(Double(total) / putSeconds), "drain_per_s": \#(Double(count) / drainSeconds)}"#
)
