import Foundation
import JSON

/// Reads fields of a response object; a missing or mistyped required field is a
/// `CLIENT_INVALID_RESPONSE` naming it, so a server that breaks the contract is reported clearly.
struct WireObject {
    let fields: [String: JSON]
    let context: String

    init(_ json: JSON, context: String) throws(AsyncGateError) {
        guard case .object(let fields) = json else {
            throw AsyncGateError(code: .invalidResponse, message: "\(context): expected an object, got \(json.typeName)")
        }
        self.fields = fields
        self.context = context
    }

    func invalid(_ key: String, _ expected: String) -> AsyncGateError {
        AsyncGateError(code: .invalidResponse, message: "\(context): field \(key) should be \(expected), got \(fields[key]?.typeName ?? "nothing")")
    }

    /// The raw value; `.null` when absent.
    func json(_ key: String) -> JSON { fields[key] ?? .null }

    func has(_ key: String) -> Bool { !(fields[key]?.isNull ?? true) }

    func string(_ key: String) throws(AsyncGateError) -> String {
        guard let s = fields[key]?.stringValue else { throw invalid(key, "a string") }
        return s
    }

    func optionalString(_ key: String) throws(AsyncGateError) -> String? {
        guard has(key) else { return nil }
        return try string(key)
    }

    func int(_ key: String) throws(AsyncGateError) -> Int {
        guard let i = fields[key]?.intValue else { throw invalid(key, "an integer") }
        return i
    }

    func optionalInt(_ key: String) throws(AsyncGateError) -> Int? {
        guard has(key) else { return nil }
        return try int(key)
    }

    func bool(_ key: String) throws(AsyncGateError) -> Bool {
        guard let b = fields[key]?.boolValue else { throw invalid(key, "a boolean") }
        return b
    }

    func optionalBool(_ key: String) throws(AsyncGateError) -> Bool? {
        guard has(key) else { return nil }
        return try bool(key)
    }

    func uuid(_ key: String) throws(AsyncGateError) -> UUID {
        guard let s = fields[key]?.stringValue, let id = UUID(uuidString: s) else { throw invalid(key, "a UUID") }
        return id
    }

    func optionalUUID(_ key: String) throws(AsyncGateError) -> UUID? {
        guard has(key) else { return nil }
        return try uuid(key)
    }

    func date(_ key: String) throws(AsyncGateError) -> Date {
        guard let s = fields[key]?.stringValue, let d = RFC3339.parse(s) else { throw invalid(key, "an RFC 3339 timestamp") }
        return d
    }

    func optionalDate(_ key: String) throws(AsyncGateError) -> Date? {
        guard has(key) else { return nil }
        return try date(key)
    }

    func array(_ key: String) throws(AsyncGateError) -> [JSON] {
        guard let a = fields[key]?.arrayValue else { throw invalid(key, "a list") }
        return a
    }

    func object(_ key: String) throws(AsyncGateError) -> WireObject {
        guard let value = fields[key], case .object = value else { throw invalid(key, "an object") }
        return try WireObject(value, context: "\(context).\(key)")
    }

    func principal(_ key: String) throws(AsyncGateError) -> Principal {
        let o = try object(key)
        return Principal(kind: PrincipalKind(rawValue: try o.string("kind")), id: try o.string("id"))
    }
}

/// Builds request bodies without nulls: absent optionals are simply not sent, so the server applies
/// its defaults (and a field a newer server added is never overwritten with null).
struct BodyBuilder {
    private(set) var fields: [String: JSON] = [:]

    subscript(key: String) -> JSON? {
        get { fields[key] }
        set { if let newValue { fields[key] = newValue } }
    }

    mutating func set(_ key: String, _ value: String?) { if let value { fields[key] = .string(value) } }
    mutating func set(_ key: String, _ value: Int?) { if let value { fields[key] = .int(Int64(value)) } }
    mutating func set(_ key: String, _ value: Double?) {
        guard let value else { return }
        fields[key] = value == value.rounded() && abs(value) < 1e15 ? .int(Int64(value)) : .double(value)
    }
    mutating func set(_ key: String, _ value: Bool?) { if let value { fields[key] = .bool(value) } }
    mutating func set(_ key: String, _ value: [String]?) { if let value { fields[key] = .array(value.map { .string($0) }) } }

    var json: JSON { .object(fields) }
}
