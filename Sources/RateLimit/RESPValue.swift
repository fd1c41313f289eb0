/// One RESP2 reply. Null bulk strings and null arrays are `nil` payloads.
enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8]?)
    case array([RESPValue]?)
}

extension RESPValue {
    /// The error's first word (`NOSCRIPT`, `NOAUTH`, `WRONGPASS`, ...), which Redis keeps stable.
    var errorPrefix: String? {
        guard case .error(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }
}
