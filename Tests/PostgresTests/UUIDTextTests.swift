import Foundation
import Postgres
import Testing

@Suite("UUID text")
struct UUIDTextTests {
    @Test func parsesWhatFoundationParses() {
        for _ in 0..<1000 {
            let id = UUID()
            #expect(PostgresUUID.parse(id.uuidString) == id)
            #expect(PostgresUUID.parse(id.uuidString.lowercased()) == id)
        }
        #expect(PostgresUUID.parse("00000000-0000-0000-0000-000000000000") == UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        #expect(PostgresUUID.parse("FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF")?.uuidString == "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")
    }

    @Test(arguments: [
        "", "0", "01a20667-2e95-7000-9631-2478931f9f8", "01a20667-2e95-7000-9631-2478931f9f8f0",
        "01a20667-2e95-7000-9631_2478931f9f8f", "01a206672e95-7000-9631-2478931f9f8f-", "01a20667-2e95-7000-9631-2478931f9f8g",
        "{1a20667-2e95-7000-9631-2478931f9f8f}", " 1a20667-2e95-7000-9631-2478931f9f8f", "01a20667-2e95-7000-9631-2478931f9f8é",
        "01a2066702e9507000096310247893", "01a20667-2e95-7000-9631-2478931f9f 8",
    ])
    func rejectsEverythingElse(_ text: String) {
        // stricter than Foundation's sscanf-based parser, which takes " 1a20667-…" (space-padded hex)
        #expect(PostgresUUID.parse(text) == nil)
    }
}
