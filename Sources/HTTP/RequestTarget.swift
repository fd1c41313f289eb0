/// Splits a request-target (RFC 9112 §3.2) into a decoded path and a raw query.
enum RequestTarget {
    /// Returns nil for a target that is not origin-form, absolute-form (`http://host/p`) or `*`, or
    /// whose path has a malformed `%` escape.
    static func split<C: Collection>(_ target: C) -> (path: String, query: String)? where C.Element == UInt8, C.Index == Int {
        guard let first = target.first else { return nil }
        var pathStart = target.startIndex
        if first == UInt8(ascii: "*") {
            return target.count == 1 ? (path: "*", query: "") : nil
        }
        if first != UInt8(ascii: "/") {
            // absolute-form: scheme "://" authority [path]; the authority is skipped.
            guard let authorityStart = schemeEnd(target) else { return nil }
            var index = authorityStart
            while index < target.endIndex, target[index] != UInt8(ascii: "/"), target[index] != UInt8(ascii: "?") {
                index += 1
            }
            pathStart = index
        }
        var queryStart = target.endIndex
        var index = pathStart
        while index < target.endIndex {
            if target[index] == UInt8(ascii: "?") { queryStart = index; break }
            index += 1
        }
        let rawPath = target[pathStart..<queryStart]
        let path: String
        if rawPath.isEmpty {
            path = "/"
        } else {
            guard let decoded = PercentDecoding.decodePath(rawPath) else { return nil }
            path = decoded
        }
        let query = queryStart < target.endIndex
            ? String(decoding: target[(queryStart + 1)...], as: UTF8.self) : ""
        return (path: path, query: query)
    }

    /// Index just after `scheme://`, or nil if the target does not start with a valid scheme.
    private static func schemeEnd<C: Collection>(_ target: C) -> Int? where C.Element == UInt8, C.Index == Int {
        var index = target.startIndex
        while index < target.endIndex {
            let byte = target[index]
            let isAlpha = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            let isOther = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            if byte == UInt8(ascii: ":") { break }
            guard isAlpha || (isOther && index > target.startIndex) else { return nil }
            index += 1
        }
        guard index > target.startIndex, index + 2 < target.endIndex,
              target[index + 1] == UInt8(ascii: "/"), target[index + 2] == UInt8(ascii: "/") else { return nil }
        return index + 3
    }
}
