import HeapModule
import StorageCore

/// The state of one queue: its metadata and messages, ordered by when each becomes visible.
struct DevQueue: Sendable {
    var metadata: [String: String]
    private(set) var messages: [String: QueueMessage] = [:]
    /// Generation of each message's latest visibility entry; older heap entries are stale.
    private var generations: [String: UInt64] = [:]
    private var order = Heap<VisibilityEntry>()
    private var nextGeneration: UInt64 = 0

    init(metadata: [String: String]) {
        self.metadata = metadata
    }

    var count: Int { self.messages.count }

    /// Adds or replaces a message and schedules it at its `timeNextVisible`.
    mutating func store(_ message: QueueMessage) {
        self.messages[message.id] = message
        self.nextGeneration += 1
        self.generations[message.id] = self.nextGeneration
        self.order.insert(
            VisibilityEntry(
                visibleAt: message.timeNextVisible,
                sequence: message.sequence,
                id: message.id,
                generation: self.nextGeneration
            )
        )
        self.compactOrderIfBloated()
    }

    @discardableResult
    mutating func remove(_ id: String) -> QueueMessage? {
        self.generations[id] = nil
        return self.messages.removeValue(forKey: id)
    }

    mutating func removeAll() {
        self.messages = [:]
        self.generations = [:]
        self.order = Heap()
    }

    /// Up to `limit` messages visible at `now`, oldest first, and the ids of expired messages met
    /// on the way, for the caller to journal and then remove. Nothing observable changes here:
    /// only stale index entries are dropped.
    mutating func visibleMessages(limit: Int, now: StorageDate) -> (visible: [QueueMessage], expired: [String]) {
        var taken: [VisibilityEntry] = []
        var skipped: [VisibilityEntry] = []
        var expired: [String] = []
        while taken.count < limit, let entry = self.order.min, entry.visibleAt <= now {
            self.order.removeMin()
            guard self.generations[entry.id] == entry.generation, let message = self.messages[entry.id] else {
                continue
            }
            if message.isExpired(at: now) {
                skipped.append(entry)
                expired.append(entry.id)
                continue
            }
            taken.append(entry)
        }
        // Put the entries back: the caller decides whether the messages move (dequeue) or stay
        // (peek), and removes the expired ones once their removal is journaled.
        for entry in taken + skipped { self.order.insert(entry) }
        return (taken.compactMap { self.messages[$0.id] }, expired)
    }

    private mutating func compactOrderIfBloated() {
        guard self.order.count > 1024, self.order.count > 4 * self.messages.count else { return }
        var fresh = Heap<VisibilityEntry>()
        for entry in self.order.unordered where self.generations[entry.id] == entry.generation {
            fresh.insert(entry)
        }
        self.order = fresh
    }
}
