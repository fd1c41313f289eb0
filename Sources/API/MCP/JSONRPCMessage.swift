import JSON

/// One decoded JSON-RPC 2.0 message as a client may POST it. Decoding is pure and strict about the
/// envelope (MCP: ids are strings or integers, never null; params is an object), lenient about
/// members it does not know.
enum JSONRPCMessage: Equatable {
    case request(id: JSON, method: String, params: [String: JSON])
    case notification(method: String, params: [String: JSON])
    /// A client's answer to a server request. We never send requests, so these are accepted and dropped.
    case response(id: JSON)

    var method: String? {
        switch self {
        case .request(_, let method, _), .notification(let method, _): return method
        case .response: return nil
        }
    }

    var params: [String: JSON] {
        switch self {
        case .request(_, _, let params), .notification(_, let params): return params
        case .response: return [:]
        }
    }

    /// The id to answer with; nil for notifications and responses.
    var id: JSON? {
        if case .request(let id, _, _) = self { return id }
        return nil
    }

    /// Decodes a POST body. Errors carry the id when it could be read, so the reply correlates.
    static func decode(_ body: [UInt8]) -> Result<JSONRPCMessage, DecodeFailure> {
        let parsed: JSON
        do {
            parsed = try JSON.parse(body, maxDepth: 64)
        } catch {
            return .failure(DecodeFailure(id: nil, error: .parseError("Parse error: \(error)")))
        }
        return decode(parsed)
    }

    static func decode(_ value: JSON) -> Result<JSONRPCMessage, DecodeFailure> {
        if case .array = value {
            // Batches were removed in 2025-06-18 and never came back.
            return .failure(DecodeFailure(id: nil, error: .invalidRequest("JSON-RPC batches are not supported")))
        }
        guard case .object(let o) = value else {
            return .failure(DecodeFailure(id: nil, error: .invalidRequest("a JSON-RPC message must be an object")))
        }
        let rawID = o["id"]
        let id: JSON?
        switch rawID {
        case .none: id = nil
        case .some(.string), .some(.int): id = rawID
        case .some(let other):
            return .failure(DecodeFailure(id: nil, error: .invalidRequest("id must be a string or an integer, got \(other.typeName)")))
        }
        guard o["jsonrpc"] == .string("2.0") else {
            return .failure(DecodeFailure(id: id, error: .invalidRequest("jsonrpc must be \"2.0\"")))
        }
        guard let methodValue = o["method"] else {
            if let id, o["result"] != nil || o["error"] != nil { return .success(.response(id: id)) }
            return .failure(DecodeFailure(id: id, error: .invalidRequest("missing method")))
        }
        guard let method = methodValue.stringValue, !method.isEmpty else {
            return .failure(DecodeFailure(id: id, error: .invalidRequest("method must be a non-empty string")))
        }
        var params: [String: JSON] = [:]
        switch o["params"] {
        case .none, .some(.null): break
        case .some(.object(let p)): params = p
        case .some(let other):
            return .failure(DecodeFailure(id: id, error: .invalidParams("params must be an object, got \(other.typeName)")))
        }
        if let id { return .success(.request(id: id, method: method, params: params)) }
        return .success(.notification(method: method, params: params))
    }

    struct DecodeFailure: Error, Equatable {
        var id: JSON?
        var error: JSONRPCError
    }
}

/// Builders for the two reply envelopes.
enum JSONRPCReply {
    static func result(id: JSON, _ result: JSON) -> JSON {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    /// `id` is omitted (not null) when the request's id could not be read, as MCP asks.
    static func error(id: JSON?, _ error: JSONRPCError) -> JSON {
        var o: [String: JSON] = ["jsonrpc": "2.0", "error": error.json]
        if let id { o["id"] = id }
        return .object(o)
    }
}
