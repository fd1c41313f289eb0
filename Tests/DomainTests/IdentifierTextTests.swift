import Domain
import Foundation
import Testing

@Suite struct IdentifierTextTests {
    @Test func lowercasedStringIsFoundationsLowercased() {
        for _ in 0..<1000 {
            let id = Identifiers.next()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            let random = UUID()
            #expect(random.lowercasedString == random.uuidString.lowercased())
        }
    }

    @Test func rfc3339HasMicrosecondsAndZ() {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_795_415_235.052123)) == "2026-11-23T06:27:15.052123Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 951_782_399.9999996)) == "2000-02-29T00:00:00.000000Z", "rounds up")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59.000000Z")
    }
}
