import Foundation
import JSON
import Testing
import TestSupport

/// What one operation answered, facade-independently: the response JSON, or the stable error code
/// and the HTTP status REST uses for it.
enum Outcome: Equatable, CustomStringConvertible {
    case ok(JSON)
    case failed(code: String, status: Int)

    var json: JSON {
        if case .ok(let j) = self { return j }
        return .null
    }

    var description: String {
        switch self {
        case .ok(let j): return "ok \(j)"
        case .failed(let code, let status): return "failed \(code) (\(status))"
        }
    }
}

/// One way into AsyncGate: operations named as in SPEC §4, arguments as the MCP tools take them.
protocol Facade {
    func call(_ operation: String, _ arguments: [String: JSON]) throws -> Outcome
}

/// Through MCP `tools/call` only.
struct MCPFacade: Facade {
    let client: MCPClient

    func call(_ operation: String, _ arguments: [String: JSON]) throws -> Outcome {
        let outcome = try client.call("asyncgate." + operation, arguments)
        if outcome.isError {
            return .failed(code: outcome.errorCode ?? "?", status: outcome.errorStatus ?? 0)
        }
        return .ok(outcome.structured)
    }
}

/// Through the /v1 REST API, exactly as COMPAT.md's clients call it (written independently of the
/// server's tool table, so a mapping mistake there shows up as a difference here).
struct RESTFacade: Facade {
    let http: TestHTTPClient

    func call(_ operation: String, _ arguments: [String: JSON]) throws -> Outcome {
        var args = arguments
        func take(_ key: String) -> String { args.removeValue(forKey: key)?.stringValue ?? "" }
        let response: TestHTTPClient.Response
        switch operation {
        case "create_task":
            response = try http.post("/v1/tasks?principal_kind=agent&principal_id=\(take("principal_id"))", .object(args))
        case "get_task":
            response = try http.get("/v1/tasks/\(take("task_id"))")
        case "list_tasks":
            response = try http.get("/v1/tasks?" + Self.query(args))
        case "cancel_task":
            let task = take("task_id")
            response = try http.post("/v1/tasks/\(task)/cancel?principal_kind=agent&principal_id=\(take("principal_id"))", .object(args))
        case "lease_next":
            response = try http.post("/v1/leases/claim", .object(args))
        case "renew_lease":
            response = try http.post("/v1/leases/renew", .object(args))
        case "start_task", "report_progress", "complete", "fail":
            let suffix = ["start_task": "running", "report_progress": "progress", "complete": "complete", "fail": "fail"][operation]!
            response = try http.post("/v1/tasks/\(take("task_id"))/\(suffix)", .object(args))
        case "list_receipts":
            response = try http.get("/v1/receipts?" + Self.query(args))
        case "list_receipts_ledger":
            response = try http.get("/v1/receipts/ledger?" + Self.query(args))
        case "ack_receipt":
            let receipt = take("receipt_id")
            response = try http.post("/v1/receipts/\(receipt)/ack?principal_kind=agent&principal_id=\(take("principal_id"))", .object(args))
        case "list_open_obligations":
            response = try http.get("/v1/obligations/open?" + Self.query(args))
        default:
            fatalError("no REST twin for \(operation) in this test")
        }
        if response.status == 200 { return .ok(response.json) }
        return .failed(code: response.errorCode ?? "?", status: response.status)
    }

    static func query(_ args: [String: JSON]) -> String {
        args.keys.sorted().compactMap { key -> String? in
            let value: String
            switch args[key]! {
            case .string(let s): value = s
            case .int(let i): value = String(i)
            case .bool(let b): value = String(b)
            default: return nil
            }
            return key + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)
        }.joined(separator: "&")
    }
}
