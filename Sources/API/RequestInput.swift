import Domain
import Engine
import Foundation
import HTTP
import JSON

/// Typed access to a request's query parameters and JSON body. Every accessor either returns a valid
/// value or throws an EngineError naming the field: body problems are 422 VALIDATION_ERROR (what
/// existing clients get for schema violations), query problems 400 INVALID_PARAMETER, unparseable
/// JSON 400 INVALID_JSON.
struct RequestInput {
    let request: HTTPRequest
    let body: [String: JSON]

    init(_ request: HTTPRequest, expectsBody: Bool) throws {
        self.request = request
        // PostgreSQL text and jsonb cannot hold U+0000: refused here, by name, before any work.
        if request.query.contains("%00") {
            for item in request.queryItems where item.name.utf8.contains(0) || item.value.utf8.contains(0) {
                throw EngineError(.invalidParameter, "query parameter \(Self.printable(item.name)) must not contain U+0000 (NUL)")
            }
        }
        if expectsBody, !request.body.isEmpty {
            let parsed: JSON
            do {
                parsed = try JSON.parse(request.body, maxDepth: 64)
            } catch {
                throw EngineError(.invalidJSON, "request body is not valid JSON: \(error)")
            }
            guard case .object(let fields) = parsed else {
                throw EngineError.validation("request body must be a JSON object, got \(parsed.typeName)")
            }
            // only bodies that spell a NUL escape can hold one (raw control bytes are invalid JSON)
            if Self.mayHoldNUL(request.body), let path = Self.pathOfNUL(parsed, at: "") {
                throw EngineError.validation("\(path.isEmpty ? "the body" : path) must not contain U+0000 (NUL): it cannot be stored")
            }
            body = fields
        } else {
            body = [:]
        }
    }

    /// Whether `bytes` contain a `\u0000` escape (the only way a valid JSON text holds U+0000).
    static func mayHoldNUL(_ bytes: [UInt8]) -> Bool {
        let pattern: [UInt8] = Array("u0000".utf8)
        guard bytes.count >= pattern.count + 1 else { return false }
        for i in 1...(bytes.count - pattern.count) where bytes[i - 1] == UInt8(ascii: "\\") && bytes[i] == UInt8(ascii: "u") {
            if bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return true }
        }
        return false
    }

    /// Where in `value` a string or key holds U+0000, as a field path (`payload.items[2]`).
    static func pathOfNUL(_ value: JSON, at path: String) -> String? {
        switch value {
        case .string(let s):
            return s.utf8.contains(0) ? path : nil
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let found = pathOfNUL(item, at: "\(path)[\(i)]") { return found }
            }
            return nil
        case .object(let fields):
            for (key, item) in fields {
                let child = path.isEmpty ? printable(key) : "\(path).\(printable(key))"
                if key.utf8.contains(0) { return child }
                if let found = pathOfNUL(item, at: child) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value == 0 ? "\\u0000" : String($0) }.joined().prefix(100))
    }

    /// One element of a batch body: same accessors, same error messages, prefixed with its index.
    init(item: JSON, of request: HTTPRequest, index: Int) throws {
        self.request = request
        guard case .object(let fields) = item else {
            throw EngineError.validation("item \(index) must be a JSON object, got \(item.typeName)")
        }
        body = fields
    }

    /// The items of a batch body field, bounded before any of them is parsed.
    func batch(_ field: String) throws -> [JSON] {
        guard let v = body[field], !v.isNull else { throw EngineError.validation("\(field) is required") }
        guard let list = v.arrayValue else { throw EngineError.validation("\(field) must be a list, got \(v.typeName)") }
        guard list.count <= Engine.maxBatchSize else {
            throw EngineError(.batchTooLarge, "a batch holds at most \(Engine.maxBatchSize) items, got \(list.count)")
        }
        guard !list.isEmpty else { throw EngineError.validation("\(field) must not be empty") }
        return list
    }

    // MARK: query

    func query(_ name: String) -> String? { request.queryValue(name) }

    func queryInt(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = query(name) else { return value }
        guard let v = Int(raw), range.contains(v) else {
            throw EngineError(.invalidParameter, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    func queryUUID(_ name: String) throws -> UUID? {
        guard let raw = query(name), !raw.isEmpty else { return nil }
        guard let id = UUID(uuidString: raw) else { throw EngineError(.invalidParameter, "\(name) must be a UUID") }
        return id
    }

    /// A principal given as `<prefix>_kind` / `<prefix>_id` in the query string or the JSON body.
    func principal(prefix: String = "principal", defaultKind: PrincipalKind, bound: Principal?) throws -> Principal {
        let kindRaw = query("\(prefix)_kind") ?? body["\(prefix)_kind"]?.stringValue
        let idRaw = query("\(prefix)_id") ?? body["\(prefix)_id"]?.stringValue
        let instance = query("\(prefix)_instance_id") ?? body["\(prefix)_instance_id"]?.stringValue
        var kind = defaultKind
        if let kindRaw {
            guard let k = PrincipalKind(rawValue: kindRaw) else {
                throw EngineError(.invalidParameter, "\(prefix)_kind must be one of \(PrincipalKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = k
        }
        guard let idRaw, !idRaw.isEmpty else {
            if let bound { return bound }
            throw EngineError(.invalidParameter, "\(prefix)_id is required")
        }
        guard idRaw.utf8.count <= Principal.maxIDLength else {
            throw EngineError(.invalidParameter, "\(prefix)_id is longer than \(Principal.maxIDLength) bytes")
        }
        return Principal(kind: kind, id: idRaw, instanceID: instance)
    }

    // MARK: body

    func has(_ field: String) -> Bool {
        if let v = body[field], !v.isNull { return true }
        return false
    }

    func string(_ field: String, maxLength: Int = TaskLimits.maxStringField) throws -> String? {
        guard let v = body[field], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw EngineError.validation("\(field) must be a string, got \(v.typeName)") }
        guard s.utf8.count <= maxLength else { throw EngineError.validation("\(field) is longer than \(maxLength) bytes") }
        return s
    }

    func requiredString(_ field: String, maxLength: Int = TaskLimits.maxStringField) throws -> String {
        guard let s = try string(field, maxLength: maxLength) else { throw EngineError.validation("\(field) is required") }
        guard !s.isEmpty else { throw EngineError.validation("\(field) must not be empty") }
        return s
    }

    func int(_ field: String, range: ClosedRange<Int>) throws -> Int? {
        guard let v = body[field], !v.isNull else { return nil }
        guard let i = v.intValue else { throw EngineError.validation("\(field) must be an integer, got \(v.typeName)") }
        guard range.contains(i) else { throw EngineError.validation("\(field) must be in \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    func number(_ field: String, range: ClosedRange<Double>) throws -> Double? {
        guard let v = body[field], !v.isNull else { return nil }
        guard let d = v.doubleValue else { throw EngineError.validation("\(field) must be a number, got \(v.typeName)") }
        guard range.contains(d) else { throw EngineError.validation("\(field) must be in \(Int(range.lowerBound))...\(Int(range.upperBound))") }
        return d
    }

    func bool(_ field: String) throws -> Bool? {
        guard let v = body[field], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw EngineError.validation("\(field) must be a boolean, got \(v.typeName)") }
        return b
    }

    func object(_ field: String) throws -> JSON? {
        guard let v = body[field], !v.isNull else { return nil }
        guard case .object = v else { throw EngineError.validation("\(field) must be an object, got \(v.typeName)") }
        return v
    }

    func stringList(_ field: String, maxCount: Int = 100) throws -> [String]? {
        guard let v = body[field], !v.isNull else { return nil }
        guard let list = v.arrayValue else { throw EngineError.validation("\(field) must be a list of strings, got \(v.typeName)") }
        guard list.count <= maxCount else { throw EngineError.validation("\(field) has more than \(maxCount) items") }
        return try list.map {
            guard let s = $0.stringValue else { throw EngineError.validation("\(field) must be a list of strings") }
            guard s.utf8.count <= TaskLimits.maxStringField else { throw EngineError.validation("\(field) item is too long") }
            return s
        }
    }

    func uuid(_ field: String) throws -> UUID? {
        guard let s = try string(field, maxLength: 64) else { return nil }
        guard let id = UUID(uuidString: s) else { throw EngineError.validation("\(field) must be a UUID") }
        return id
    }

    func requiredUUID(_ field: String) throws -> UUID {
        guard let id = try uuid(field) else { throw EngineError.validation("\(field) is required") }
        return id
    }
}
