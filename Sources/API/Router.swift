import Engine
import HTTP

/// A small static router: literal segments and `{name}` captures. HEAD is served by GET routes.
struct Router<Handler: Sendable>: Sendable {
    struct Route: Sendable {
        var method: String
        var segments: [Segment]
        var handler: Handler
    }
    enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
    }
    enum Match {
        case found(Handler, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private(set) var routes: [Route] = []

    mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        let segments = pattern.split(separator: "/").map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}") ? .capture(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let effective = method == "HEAD" ? "GET" : method
        var allowed: [String] = []
        var best: (Handler, [String: String], literals: Int)?
        for route in routes where route.segments.count == parts.count {
            var params: [String: String] = [:]
            var literals = 0
            var ok = true
            for (seg, part) in zip(route.segments, parts) {
                switch seg {
                case .literal(let lit):
                    if lit != part { ok = false } else { literals += 1 }
                case .capture(let name):
                    params[name] = String(part)
                }
                if !ok { break }
            }
            guard ok else { continue }
            guard route.method == effective else { allowed.append(route.method); continue }
            // literal segments beat captures: /v1/tasks/running is not /v1/tasks/{id}
            if best == nil || literals > best!.literals { best = (route.handler, params, literals) }
        }
        if let best { return .found(best.0, best.1) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(Array(Set(allowed)).sorted())
    }
}
