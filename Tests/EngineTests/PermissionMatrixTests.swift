import Domain
import Engine
import Foundation
import JSON
import Storage
import Testing
import TestSupport

/// SPEC §6 permission matrix, one cell per (role, operation): agents create/read/cancel their own
/// tasks and read their own receipts; workers lease and mutate only leases they hold; admins do
/// everything in their tenant. Each forbidden cell must fail with a 403-class code and change nothing.
@Suite struct PermissionMatrixTests {
    enum Op: String, CaseIterable {
        case create, cancel, getOwnTask, listTasks, claim, renew, start, progress, complete, fail, receipts, obligations, ack
    }

    static let expectedAllowed: [Caller.Role: Set<Op>] = [
        .agent: [.create, .cancel, .getOwnTask, .listTasks, .receipts, .obligations, .ack],
        // workers read the tasks they hold a lease on
        .worker: [.getOwnTask, .claim, .renew, .start, .progress, .complete, .fail, .receipts, .obligations, .ack],
        .admin: Set(Op.allCases),
        .shared: Set(Op.allCases),
    ]

    /// Runs `op` as a caller of `role` bound to a principal of the matching kind (worker ops name
    /// that worker; agent ops name that agent). Returns nil when allowed, else the error code.
    struct Setup { var taskID: UUID; var ref: LeaseRef }
    static let agent = Principal(kind: .agent, id: "matrix-agent")
    static let worker = Principal(kind: .worker, id: "matrix-worker")

    /// A task owned by the agent, leased by the worker (set up through the shared key).
    static func setUp(_ f: EngineFixture) throws -> Setup {
        var create = CreateTaskInput(owner: agent, type: "m")
        create.payload = ["x": 1]
        let taskID = try f.engine.createTask(shared, create).taskID
        let claimed = try #require(try f.engine.claim(shared, ClaimInput(worker: worker)).first)
        return Setup(taskID: taskID, ref: LeaseRef(taskID: taskID, leaseID: claimed.leaseID, workerID: worker.id))
    }

    static func attempt(_ f: EngineFixture, _ role: Caller.Role, _ op: Op, _ setup: Setup) throws -> EngineError.Code? {
        let agent = Self.agent, worker = Self.worker
        let me = role == .worker ? worker : (role == .agent ? agent : Principal(kind: .human, id: "ops"))
        // the shared key is bound to no principal; the others to theirs
        let caller = Caller(tenantID: tenant, role: role, principal: role == .shared ? nil : me)
        let taskID = setup.taskID, ref = setup.ref
        let owner = role == .worker ? worker : agent
        do {
            switch op {
            case .create: _ = try f.engine.createTask(caller, CreateTaskInput(owner: role == .worker ? worker : agent, type: "m"))
            case .cancel: _ = try f.engine.cancelTask(caller, taskID: taskID, by: role == .admin ? me : owner, reason: nil)
            case .getOwnTask: _ = try f.engine.getTask(caller, taskID: taskID)
            case .listTasks: _ = try f.engine.listTasks(caller, filter: TaskListFilter(statuses: nil, type: nil, createdByID: nil, cursor: nil, limit: 5))
            case .claim: _ = try f.engine.claim(caller, ClaimInput(worker: role == .agent ? Principal(kind: .worker, id: agent.id) : worker))
            case .renew: _ = try f.engine.renewLease(caller, ref, extendBySeconds: 60)
            case .start: _ = try f.engine.startTask(caller, ref)
            case .progress: try f.engine.reportProgress(caller, ref, progress: ["p": 1])
            case .complete: try f.engine.complete(caller, ref, result: [:], artifacts: [["a": 1]], deliveryProof: nil)
            case .fail: _ = try f.engine.fail(caller, ref, error: ["m": "x"], retryable: true)
            case .receipts: _ = try f.engine.listReceipts(caller, to: role == .shared ? agent : me, since: nil, limit: 5)
            case .obligations: _ = try f.engine.openObligations(caller, principal: role == .shared ? agent : me, since: nil, limit: 5)
            case .ack:
                // each acks a receipt it is party to: the agent its task.assigned, the worker its task.accepted
                let ledger = try f.engine.ledger(shared, filter: LedgerFilter(taskID: taskID, leaseID: nil, receiptType: nil, taskStatus: nil), since: nil, limit: 10)
                let receipt = try #require(ledger.first { $0.type == (role == .worker ? "task.accepted" : "task.assigned") })
                _ = try f.engine.ackReceipt(caller, receiptID: receipt.receiptID, by: role == .worker ? worker : (role == .admin ? me : agent))
            }
            return nil
        } catch let e as EngineError {
            return e.code
        }
    }

    @Test(arguments: [Caller.Role.agent, .worker, .admin, .shared])
    func matrix(_ role: Caller.Role) throws {
        for op in Op.allCases {
            let f = try EngineFixture(poolSize: 2)
            let setup = try Self.setUp(f)
            let before = try f.count("SELECT count(*) FROM receipts")
            let outcome = try Self.attempt(f, role, op, setup)
            let allowed = Self.expectedAllowed[role]!.contains(op)
            if allowed {
                #expect(outcome == nil, "\(role.rawValue) should be allowed to \(op.rawValue), got \(outcome?.rawValue ?? "")")
            } else {
                #expect(outcome == .forbidden || outcome == .forbiddenPrincipal || outcome == .taskNotFound,
                        "\(role.rawValue) must not \(op.rawValue), got \(outcome?.rawValue ?? "allowed")")
                #expect(try f.count("SELECT count(*) FROM receipts") == before, "a refused \(op.rawValue) wrote nothing")
            }
        }
    }
}
