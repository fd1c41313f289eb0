import Foundation
import Storage
import Testing

/// The binary embeds migrations/*.sql (scripts/embed-migrations); they must never drift apart.
@Suite struct EmbeddedMigrationsTests {
    @Test func embeddedMatchesMigrationsDirectory() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".sql") && !$0.hasSuffix(".down.sql") }.sorted()
        #expect(files.count == Migration.embedded.count, "run scripts/embed-migrations")
        for (file, migration) in zip(files, Migration.embedded) {
            let up = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            #expect(up.trimmingCharacters(in: .whitespacesAndNewlines) == migration.up.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(file) differs from the embedded copy: run scripts/embed-migrations")
        }
    }
}
