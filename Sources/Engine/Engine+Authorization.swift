import Domain

extension Engine {
    /// The principal an operation acts as. A caller bound to a principal may only act as itself; nobody
    /// but an admin may act as an internal (`sys:`/`svc:`) principal.
    func actingPrincipal(_ caller: Caller, requested: Principal) throws -> Principal {
        if let bound = caller.principal, bound.kind != requested.kind || bound.id != requested.id, caller.role != .admin {
            throw EngineError(.forbiddenPrincipal, "credential is bound to \(bound.kind.rawValue):\(bound.id)")
        }
        if requested.isInternal && caller.role != .admin {
            throw EngineError(.forbiddenPrincipal, "principal id \(requested.id) is reserved for AsyncGate")
        }
        return requested
    }

    func requireAgent(_ caller: Caller) throws {
        guard caller.mayActAsAgent else { throw EngineError(.forbidden, "workers cannot perform this operation") }
    }

    func requireWorker(_ caller: Caller) throws {
        guard caller.mayActAsWorker else { throw EngineError(.forbidden, "agents cannot perform this operation") }
    }
}
