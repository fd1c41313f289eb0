extension HTTPRequest {
    /// The query's `name=value` pairs in order, decoded (`%XX` and `+` → space). Pairs whose escapes
    /// are malformed keep their raw text rather than being dropped, so nothing silently disappears.
    public var queryItems: [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        var items: [(name: String, value: String)] = []
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decodeQueryComponent(parts[0])
            let value = parts.count > 1 ? PercentDecoding.decodeQueryComponent(parts[1]) : ""
            items.append((name: name, value: value))
        }
        return items
    }

    /// The first value of the query parameter `name`, decoded.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}
