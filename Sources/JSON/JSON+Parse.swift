extension JSON {
    /// Parses exactly one JSON value (RFC 8259, strict) surrounded by optional whitespace.
    ///
    /// Rejected: trailing commas, comments, NaN/Infinity, leading zeros, raw control characters in
    /// strings, malformed or unpaired `\u` surrogates, invalid UTF-8 (including overlongs and encoded
    /// surrogates), a byte-order mark, numbers that overflow `Double`, and nesting of arrays plus
    /// objects deeper than `maxDepth`. Duplicate object keys: the last one wins.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        let result: Result<JSON, JSONParseError> = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSON in try parse(raw, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// See `parse(_: [UInt8], maxDepth:)`. The buffer is only read during the call.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        var parser = JSONParser(bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// See `parse(_: [UInt8], maxDepth:)`. Offsets in errors are UTF-8 byte offsets into `text`.
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        var text = text
        let result: Result<JSON, JSONParseError> = text.withUTF8 { utf8 in
            Result { () throws(JSONParseError) -> JSON in
                try parse(UnsafeRawBufferPointer(utf8), maxDepth: maxDepth)
            }
        }
        return try result.get()
    }
}
