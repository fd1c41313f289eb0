import AsyncGateClient
import Foundation
import JSON
import TestSupport
import Testing

/// Failures arrive as `AsyncGateError`s typed by the server's stable code.
@Suite struct ClientErrorTests {
    func expectError(_ code: AsyncGateError.Code, status: Int?, _ body: () throws -> Void,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let error as AsyncGateError {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.status == status, sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
            #expect(error.requestID != nil, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func serverErrorsAreTyped() throws {
        let fixture = try ServerFixture()
        let client = Support.client(fixture)
        expectError(.taskNotFound, status: 404) { _ = try client.getTask(UUID()) }
        expectError(.receiptNotFound, status: 404) { _ = try client.receipt(UUID()) }
        expectError(.validation, status: 422) { _ = try client.createTask(NewTask(type: ""), owner: Support.alice) }
        expectError(.forbiddenPrincipal, status: 403) { _ = try client.createTask(NewTask(type: "x"), owner: .agent("sys:root")) }
        expectError(.invalidParameter, status: 400) { _ = try client.ledger(LedgerQuery()) }
        expectError(.validation, status: 422) { _ = try client.claim(ClaimRequest(workerID: "w", maxTasks: 50)) }

        let created = try client.createTask(NewTask(type: "t"), owner: Support.alice)
        let claimed = try #require(try client.claim(ClaimRequest(workerID: "w", acceptTypes: ["t"])).first)
        let stranger = LeaseRef(taskID: created.taskID, leaseID: UUID(), workerID: "w")
        expectError(.leaseInvalidOrExpired, status: 400) { try client.complete(stranger, result: [:]) }
        expectError(.leaseInvalidOrExpired, status: 400) { _ = try client.renewLease(stranger) }
        expectError(.notOwner, status: 403) { _ = try client.cancelTask(created.taskID, by: .agent("mallory")) }
        try client.complete(claimed.lease(workerID: "w"), result: [:], artifacts: ["uri": "memory://single-object"])
        // a second worker cannot use the finished lease
        expectError(.leaseInvalidOrExpired, status: 400) { _ = try client.renewLease(claimed.lease(workerID: "w")) }
    }

    @Test func renewalLimitIsItsOwnCode() throws {
        let fixture = try ServerFixture(configure: { $0.maxLeaseRenewals = 1 })
        let client = Support.client(fixture)
        _ = try client.createTask(NewTask(type: "t"), owner: Support.alice)
        let lease = try #require(try client.claim(ClaimRequest(workerID: "w")).first).lease(workerID: "w")
        _ = try client.renewLease(lease)
        expectError(.leaseRenewalLimit, status: 409) { _ = try client.renewLease(lease) }
    }

    @Test func missingCredentialIsUnauthorized() throws {
        let fixture = try ServerFixture(api: { $0.authentication = .sharedKey("the-right-key-0123456789abcdef") })
        expectError(.unauthorized, status: 401) { _ = try Support.client(port: fixture.port).listTasks() }
        expectError(.unauthorized, status: 401) { _ = try Support.client(port: fixture.port, apiKey: "wrong-key-0123456789abcdef").listTasks() }
    }

    @Test func unreachableServerIsAClientErrorThatWasNeverSent() {
        let client = Support.client(port: Support.closedPort())
        do {
            _ = try client.claim(ClaimRequest(workerID: "w"))
            Issue.record("expected a connection failure")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.status == nil)
            #expect(error.requestNotSent)
        }
    }

    @Test func silentServerTimesOut() throws {
        let fixture = try ServerFixture()
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: [.hang])
        defer { proxy.close() }
        let client = Support.client(port: proxy.port, retry: .none, timeout: 0.3)
        do {
            _ = try client.claim(ClaimRequest(workerID: "w"))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
            #expect(!error.requestNotSent)
        }
    }

    @Test func nonJSONErrorPageKeepsItsStatus() throws {
        let fixture = try ServerFixture()
        let proxy = try FaultProxy(upstreamPort: fixture.port, script: [.respond(status: 502, body: "<html>bad gateway</html>", headers: [])])
        defer { proxy.close() }
        do {
            _ = try Support.client(port: proxy.port, retry: .none).getTask(UUID())
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownServerError)
            #expect(error.status == 502)
            #expect(error.isTransient)
        }
    }
}
