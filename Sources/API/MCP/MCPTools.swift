import Domain
import JSON

/// The tool catalog (SPEC §8), in a fixed order so `tools/list` is deterministic. Names carry the
/// `asyncgate.` prefix of the first implementation (dots are allowed in MCP tool names); a call by
/// the bare name (`create_task`) is accepted too.
extension MCPTool {
    static let catalog: [MCPTool] = tasker + taskee + system

    static func named(_ name: String) -> MCPTool? {
        let full = name.hasPrefix(prefix) ? name : prefix + name
        return byName[full]
    }

    static let prefix = "asyncgate."
    private static let byName: [String: MCPTool] = Dictionary(uniqueKeysWithValues: catalog.map { ($0.name, $0) })

    // MARK: shared argument schemas

    static let principalKinds = PrincipalKind.allCases.map(\.rawValue)
    static let taskStatuses = TaskStatus.allCases.map(\.rawValue)
    static let limit = MCPSchema.integer("Page size (default 50).", 1...200)
    static let sinceReceipt = MCPSchema.uuid("Cursor: return receipts after this receipt id (the previous page's cursor).")
    static let workerID = MCPSchema.string("Your worker id (the lease holder).", maxLength: Principal.maxIDLength)
    static let leaseID = MCPSchema.uuid("The lease id returned by asyncgate.lease_next.")
    static let taskID = MCPSchema.uuid("The task id.")

    static func principal(_ role: String) -> [String: JSON] {
        [
            "principal_kind": MCPSchema.enumeration(principalKinds, "Kind of the principal you act as (default agent)."),
            "principal_id": MCPSchema.string("Id of the principal you act as (\(role)). Not needed when your credential is bound to a principal.",
                                             maxLength: Principal.maxIDLength),
        ]
    }

    /// Not `additionalProperties: false`: clients of the first implementation send `tenant_id`.
    static let noArguments: JSON = ["type": "object", "properties": [:]]

    static let agentAlias = ["agent_id": "principal_id", "agent_instance_id": "principal_instance_id"]
}

// MARK: TASKER

extension MCPTool {
    static let tasker: [MCPTool] = [
        MCPTool(
            name: "asyncgate.bootstrap", title: "Bootstrap",
            description: "Start or resume a session: the server's identity, your relationship record and the open obligations "
                + "addressed to you (tasks you delegated that have not been completed, failed or canceled). Same as "
                + "asyncgate.list_open_obligations, with principal_kind defaulting to agent.",
            inputSchema: MCPSchema.object(principal("the obligation owner").merging([
                "principal_instance_id": MCPSchema.string("Optional session/instance id."),
                "since_receipt_id": sinceReceipt, "limit": limit,
            ]) { a, _ in a }),
            readOnly: false, method: "GET", path: "/v1/obligations/open",
            aliases: agentAlias.merging(["max_items": "limit"]) { a, _ in a },
            completeArguments: { args in
                if args["principal_id"] != nil, args["principal_kind"] == nil { args["principal_kind"] = "agent" }
            }),
        MCPTool(
            name: "asyncgate.create_task", title: "Create task",
            description: "Delegate work: create a task for a worker to claim. You become its owner and receive a task.assigned "
                + "obligation receipt. Reusing an idempotency_key returns the original task instead of a duplicate.",
            inputSchema: MCPSchema.object(principal("the task owner").merging([
                "type": MCPSchema.string("Task type workers filter on, e.g. \"echo\".", maxLength: TaskLimits.maxTypeLength),
                "payload": MCPSchema.anyObject("Input for the worker (JSON object, ≤ 1 MB)."),
                "payload_pointer": MCPSchema.string("Pointer to an externally stored payload.", maxLength: 2048),
                "principal_ai": MCPSchema.string("The AI principal on whose behalf the task runs."),
                "requirements": MCPSchema.anyObject("{\"capabilities\": [...], \"tags\": [...]} a worker must satisfy."),
                "expected_outcome_kind": MCPSchema.string("What kind of outcome you expect."),
                "expected_artifact_mime": MCPSchema.string("MIME type of the artifact you expect."),
                "priority": MCPSchema.integer("Higher runs first (default 0).", -1_000_000...1_000_000),
                "idempotency_key": MCPSchema.string("Makes retries safe: the same key returns the same task.",
                                                    maxLength: TaskLimits.maxIdempotencyKeyLength),
                "max_attempts": MCPSchema.integer("Attempts before the task fails for good (default 3).", 1...100),
                "retry_backoff_seconds": MCPSchema.integer("Base retry backoff (default 30).", 1...86_400),
                "delay_seconds": MCPSchema.number("Do not start before this many seconds from now.", 0...31_536_000),
            ]) { a, _ in a }, required: ["type"]),
            readOnly: false, method: "POST", path: "/v1/tasks", aliases: agentAlias),
        MCPTool(
            name: "asyncgate.get_task", title: "Get task",
            description: "A task with its status, attempts, latest progress and, once terminal, its result.",
            inputSchema: MCPSchema.object(["task_id": taskID], required: ["task_id"]),
            readOnly: true, method: "GET", path: "/v1/tasks/{task_id}"),
        MCPTool(
            name: "asyncgate.list_tasks", title: "List tasks",
            description: "Tasks of your tenant, newest first, optionally filtered; page with next_cursor.",
            inputSchema: MCPSchema.object([
                "status": MCPSchema.enumeration(taskStatuses, "Only tasks in this status."),
                "type": MCPSchema.string("Only tasks of this type."),
                "created_by": MCPSchema.string("Only tasks owned by this principal id."),
                "limit": limit, "cursor": MCPSchema.uuid("next_cursor of the previous page."),
            ]),
            readOnly: true, method: "GET", path: "/v1/tasks"),
        MCPTool(
            name: "asyncgate.cancel_task", title: "Cancel task",
            description: "Cancel a task you own that is queued, leased or running; any lease is released. Canceling a "
                + "finished task changes nothing and reports its status.",
            inputSchema: MCPSchema.object(principal("the task owner").merging([
                "task_id": taskID, "reason": MCPSchema.string("Why (recorded on the receipt)."),
            ]) { a, _ in a }, required: ["task_id"]),
            readOnly: false, destructive: true, method: "POST", path: "/v1/tasks/{task_id}/cancel", aliases: agentAlias),
        MCPTool(
            name: "asyncgate.list_receipts", title: "List receipts",
            description: "Receipts addressed to a principal, oldest first; page with next_cursor as since_receipt_id.",
            inputSchema: MCPSchema.object([
                "to_kind": MCPSchema.enumeration(principalKinds, "Recipient kind."),
                "to_id": MCPSchema.string("Recipient id.", maxLength: Principal.maxIDLength),
                "since_receipt_id": sinceReceipt, "limit": limit,
            ]),
            readOnly: true, method: "GET", path: "/v1/receipts"),
        MCPTool(
            name: "asyncgate.list_receipts_ledger", title: "Receipt ledger",
            description: "Receipts by task, lease, task status or receipt type (give at least one), oldest first.",
            inputSchema: MCPSchema.object([
                "task_id": taskID, "lease_id": MCPSchema.uuid("Only receipts of this lease."),
                "status": MCPSchema.enumeration(taskStatuses, "Only receipts of tasks in this status."),
                "receipt_type": MCPSchema.string("Only receipts of this type, e.g. task.completed."),
                "since_receipt_id": sinceReceipt, "limit": limit,
            ]),
            readOnly: true, method: "GET", path: "/v1/receipts/ledger", aliases: ["task_status": "status"]),
        MCPTool(
            name: "asyncgate.get_receipt", title: "Get receipt",
            description: "One receipt by id.",
            inputSchema: MCPSchema.object(["receipt_id": MCPSchema.uuid("The receipt id.")], required: ["receipt_id"]),
            readOnly: true, method: "GET", path: "/v1/receipts/{receipt_id}"),
        MCPTool(
            name: "asyncgate.ack_receipt", title: "Acknowledge receipt",
            description: "Record that you have seen a receipt (appends receipt.acknowledged; never changes the receipt).",
            inputSchema: MCPSchema.object(principal("the acknowledging principal").merging([
                "receipt_id": MCPSchema.uuid("The receipt to acknowledge."),
            ]) { a, _ in a }, required: ["receipt_id"]),
            readOnly: false, method: "POST", path: "/v1/receipts/{receipt_id}/ack", aliases: agentAlias),
        MCPTool(
            name: "asyncgate.list_open_obligations", title: "Open obligations",
            description: "The open obligations addressed to a principal: task.assigned receipts not yet discharged by a "
                + "completion, failure or cancelation — plus the server identity, the relationship record and a cursor.",
            inputSchema: MCPSchema.object(principal("the obligation owner").merging([
                "principal_instance_id": MCPSchema.string("Optional session/instance id."),
                "since_receipt_id": sinceReceipt, "limit": limit,
            ]) { a, _ in a }),
            readOnly: false, method: "GET", path: "/v1/obligations/open", aliases: agentAlias),
    ]
}

// MARK: TASKEE and system

extension MCPTool {
    static let taskee: [MCPTool] = [
        MCPTool(
            name: "asyncgate.lease_next", title: "Claim tasks",
            description: "Claim up to max_tasks eligible tasks (highest priority first) that your capabilities satisfy. Each "
                + "comes with a lease_id you must pass to every later call; an empty list means no work right now.",
            inputSchema: MCPSchema.object([
                "worker_id": workerID, "worker_instance_id": MCPSchema.string("Optional process/instance id."),
                "worker_kind": MCPSchema.enumeration(["worker"], "Always \"worker\"."),
                "capabilities": MCPSchema.stringList("Capabilities you offer."),
                "accept_types": MCPSchema.stringList("Only claim tasks of these types (default: any)."),
                "max_tasks": MCPSchema.integer("How many tasks to claim (default 1).", 1...10),
                "lease_ttl_seconds": MCPSchema.integer("Lease duration (server default if absent).", 10...1800),
                "wait_seconds": MCPSchema.number("When nothing is eligible, wait up to this long for work (default 0).", 0...30),
            ], required: ["worker_id"]),
            readOnly: false, method: "POST", path: "/v1/leases/claim"),
        MCPTool(
            name: "asyncgate.renew_lease", title: "Renew lease",
            description: "Extend your active lease while you work. Renewals are limited in count and total lifetime.",
            inputSchema: MCPSchema.object([
                "worker_id": workerID, "task_id": taskID, "lease_id": leaseID,
                "extend_by_seconds": MCPSchema.integer("Extension (server default if absent).", 10...1800),
            ], required: ["worker_id", "task_id", "lease_id"]),
            readOnly: false, method: "POST", path: "/v1/leases/renew"),
        MCPTool(
            name: "asyncgate.start_task", title: "Start task",
            description: "Mark a leased task as running.",
            inputSchema: MCPSchema.object(["worker_id": workerID, "task_id": taskID, "lease_id": leaseID],
                                          required: ["worker_id", "task_id", "lease_id"]),
            readOnly: false, method: "POST", path: "/v1/tasks/{task_id}/running"),
        MCPTool(
            name: "asyncgate.report_progress", title: "Report progress",
            description: "Store progress for the task's owner to read (never finishes the task).",
            inputSchema: MCPSchema.object(["worker_id": workerID, "task_id": taskID, "lease_id": leaseID,
                                           "progress": MCPSchema.anyObject("Progress data, e.g. {\"percent\": 40}.")],
                                          required: ["worker_id", "task_id", "lease_id", "progress"]),
            readOnly: false, method: "POST", path: "/v1/tasks/{task_id}/progress"),
        MCPTool(
            name: "asyncgate.complete", title: "Complete task",
            description: "Finish a task successfully. Include artifacts (or delivery_proof) saying where the result is: "
                + "without either the owner's obligation stays open and an anomaly is reported.",
            inputSchema: MCPSchema.object([
                "worker_id": workerID, "task_id": taskID, "lease_id": leaseID,
                "result": MCPSchema.anyObject("The result."),
                "artifacts": MCPSchema.oneOfTypes(["array", "object"], "Where the output is: a list of objects or one object, e.g. {\"uri\": \"s3://…\"}."),
                "delivery_proof": MCPSchema.anyObject("Evidence the result was delivered elsewhere."),
            ], required: ["worker_id", "task_id", "lease_id"]),
            readOnly: false, method: "POST", path: "/v1/tasks/{task_id}/complete"),
        MCPTool(
            name: "asyncgate.fail", title: "Fail task",
            description: "Report failure. retryable=true requeues with backoff while attempts remain; otherwise the task fails for good.",
            inputSchema: MCPSchema.object([
                "worker_id": workerID, "task_id": taskID, "lease_id": leaseID,
                "error": MCPSchema.oneOfTypes(["object", "string"], "What went wrong, e.g. {\"message\": \"timeout\"}."),
                "retryable": MCPSchema.boolean("Whether a retry may succeed (default false)."),
            ], required: ["worker_id", "task_id", "lease_id"]),
            readOnly: false, method: "POST", path: "/v1/tasks/{task_id}/fail"),
    ]

    static let system: [MCPTool] = [
        MCPTool(
            name: "asyncgate.get_config", title: "Server configuration",
            description: "Version, instance id, capabilities and limits of this AsyncGate server.",
            inputSchema: noArguments,
            readOnly: true, method: "GET", path: "/v1/config"),
        MCPTool(
            name: "asyncgate.health", title: "Health",
            description: "Whether the server and its database are up.",
            inputSchema: noArguments,
            readOnly: true, method: "GET", path: "/v1/health"),
    ]
}
