import Foundation
import JSON

extension Worker {
    /// Handles one claimed task from start to report. Runs on the task's own thread.
    func execute(_ context: TaskContext) {
        let task = context.task
        let meta = ["task.id": task.taskID.uuidString.lowercased(), "lease.id": task.leaseID.uuidString.lowercased(),
                    "task.type": task.type, "task.attempt": "\(task.attempt)"]
        log(.info, "task claimed", meta)
        guard let handler = handlers[task.type] else {
            // Only possible if the server ignored accept_types; the task is not ours to run.
            report(context, .failure(HandlerFailure(kind: "unsupported_type", message: "this worker has no handler for \(task.type)",
                                                    retryable: true)), meta: meta)
            return
        }
        if context.isCancelled { return abandon(context, meta: meta) }
        do throws(AsyncGateError) {
            try client.markRunning(context.lease)
        } catch {
            if error.code == .leaseInvalidOrExpired || error.code == .taskNotFound {
                log(.warning, "lease lost before start", meta.merging(["error": "\(error)"]) { $1 })
                context.cancel(.leaseLost)
                return abandon(context, meta: meta)
            }
            // `running` is informational; the task can still be completed.
            log(.warning, "could not mark the task running", meta.merging(["error": "\(error)"]) { $1 })
        }
        let renewer = LeaseRenewer(context: context, client: client,
                                   interval: configuration.renewInterval ?? Double(configuration.leaseTTLSeconds) / 2,
                                   extendBy: configuration.leaseTTLSeconds, log: log)
        renewer.start()
        let outcome: Result<TaskOutcome, HandlerFailure>
        do {
            outcome = .success(try handler.handle(context))
        } catch let failure as HandlerFailure {
            outcome = .failure(failure)
        } catch {
            outcome = .failure(.transient("handler error: \(error)"))
        }
        renewer.stop()
        if context.isCancelled { return abandon(context, meta: meta) }
        report(context, outcome, meta: meta)
    }

    private func report(_ context: TaskContext, _ outcome: Result<TaskOutcome, HandlerFailure>, meta: [String: String]) {
        guard !isKilled else { return }
        switch outcome {
        case .success(let done):
            do throws(AsyncGateError) {
                try client.complete(context.lease, result: done.result, artifacts: done.artifacts, deliveryProof: done.deliveryProof)
                count { $0.completed += 1 }
                log(.info, "task completed", meta)
            } catch let error where [.receiptTooLarge, .validation, .tooManyArtifacts, .payloadTooLarge].contains(error.code) {
                // The server will never accept this result; say so instead of letting the lease expire forever.
                report(context, .failure(HandlerFailure(kind: "result_rejected", message: "the server rejected the result: \(error.message)",
                                                        retryable: false)), meta: meta)
            } catch {
                count { $0.abandoned += 1 }
                log(.error, "could not complete the task (its lease will expire)", meta.merging(["error": "\(error)"]) { $1 })
            }
        case .failure(let failure):
            do throws(AsyncGateError) {
                let result = try client.fail(context.lease, error: failure.errorJSON, retryable: failure.retryable)
                count { $0.failed += 1 }
                log(failure.retryable ? .warning : .error, "task failed",
                    meta.merging(["error": failure.description, "task.requeued": "\(result.requeued)"]) { $1 })
            } catch {
                count { $0.abandoned += 1 }
                log(.error, "could not report the failure (its lease will expire)", meta.merging(["error": "\(error)"]) { $1 })
            }
        }
    }

    private func abandon(_ context: TaskContext, meta: [String: String]) {
        count { $0.abandoned += 1 }
        let reason = context.cancellationReason?.rawValue ?? "unknown"
        if reason != CancellationReason.killed.rawValue {
            log(.warning, "task abandoned; its lease will expire and the server will requeue it", meta.merging(["reason": reason]) { $1 })
        }
    }
}
