#if canImport(Glibc)
import Glibc
#endif

// agbench: the AsyncGate benchmark client. Normally started by `scripts/bench`, which builds the
// server, starts PostgreSQL and the server, seeds data and computes the ratio to the raw-SQL ceiling.

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch {
    let message = "\(error)"
    if !message.isEmpty { print("agbench: \(message)\n") }
    print(Options.usage)
    exit(2)
}

let outcome: Report
switch options.scenario {
case "health": outcome = health(options)
case "create": outcome = create(options)
case "cycle": outcome = cycle(options)
case "drain": outcome = drain(options)
case "obligations": outcome = obligations(options)
case "latency": outcome = latency(options)
default:
    print("agbench: unknown scenario \(options.scenario)\n\n\(Options.usage)")
    exit(2)
}
var report = outcome
if (report.tally.ops[report.rateOp] ?? 0) == 0 {
    report.tally.error("no \(report.rateOp) completed inside the measured window (is each one slower than the window?)")
}
report.print()
var result = "RESULT scenario=\(options.scenario) rate=\(fixed(report.rate, 1)) errors=\(report.tally.errors)"
for (op, lat) in report.tally.latencies.sorted(by: { $0.key < $1.key }) {
    result += " \(op)_p50_ms=\(fixed(lat.percentile(0.50), 3)) \(op)_p95_ms=\(fixed(lat.percentile(0.95), 3)) \(op)_p99_ms=\(fixed(lat.percentile(0.99), 3))"
}
if let count = report.tally.ops[report.rateOp], count > 0 {
    let ops = Double(count)
    result += " client_cpu_ms_per_op=\(fixed(report.cpu.client * 1000 / ops, 3))"
    if let server = report.cpu.server { result += " server_cpu_ms_per_op=\(fixed(server * 1000 / ops, 3))" }
    if let postgres = report.cpu.postgres { result += " postgres_cpu_ms_per_op=\(fixed(postgres * 1000 / ops, 3))" }
}
print(result)
exit(report.tally.errors == 0 ? 0 : 1)
