import JSON

/// Small builders for the tools' input schemas (JSON Schema 2020-12, MCP's default dialect). The
/// bounds repeat the REST validation ranges so a client can check before calling; the REST twin
/// still validates everything, so a schema that drifted could only be more lenient, never let a
/// bad value through.
enum MCPSchema {
    static func object(_ properties: [String: JSON], required: [String] = []) -> JSON {
        var o: [String: JSON] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.sorted().map { .string($0) }) }
        return .object(o)
    }

    static func string(_ description: String, maxLength: Int? = nil) -> JSON {
        var o: [String: JSON] = ["type": "string", "description": .string(description)]
        if let maxLength { o["maxLength"] = .int(Int64(maxLength)) }
        return .object(o)
    }

    static func uuid(_ description: String) -> JSON {
        ["type": "string", "format": "uuid", "description": .string(description)]
    }

    static func integer(_ description: String, _ range: ClosedRange<Int>? = nil) -> JSON {
        var o: [String: JSON] = ["type": "integer", "description": .string(description)]
        if let range {
            o["minimum"] = .int(Int64(range.lowerBound))
            o["maximum"] = .int(Int64(range.upperBound))
        }
        return .object(o)
    }

    static func number(_ description: String, _ range: ClosedRange<Int>) -> JSON {
        ["type": "number", "description": .string(description),
         "minimum": .int(Int64(range.lowerBound)), "maximum": .int(Int64(range.upperBound))]
    }

    static func boolean(_ description: String) -> JSON {
        ["type": "boolean", "description": .string(description)]
    }

    static func anyObject(_ description: String) -> JSON {
        ["type": "object", "description": .string(description)]
    }

    static func oneOfTypes(_ types: [String], _ description: String) -> JSON {
        ["type": .array(types.map { .string($0) }), "description": .string(description)]
    }

    static func stringList(_ description: String, maxItems: Int = 100) -> JSON {
        ["type": "array", "items": ["type": "string"], "maxItems": .int(Int64(maxItems)), "description": .string(description)]
    }

    static func enumeration(_ values: [String], _ description: String) -> JSON {
        ["type": "string", "enum": .array(values.map { .string($0) }), "description": .string(description)]
    }
}
