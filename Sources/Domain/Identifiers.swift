import CCrypto
import Foundation
import Synchronization

/// Time-ordered UUIDs (RFC 9562 version 7). Receipt and task ids sort by creation time, which keeps
/// index inserts at the right edge and makes `(created_at, id)` cursors stable. A per-process
/// counter in the 12 `rand_a` bits keeps ids strictly increasing within one millisecond.
public enum Identifiers {
    private static let state = Mutex<(ms: UInt64, counter: UInt16)>((0, 0))

    public static func next(nowMillis: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> UUID {
        let (ms, counter) = state.withLock { s -> (UInt64, UInt16) in
            if nowMillis > s.ms {
                s = (nowMillis, 0)
            } else if s.counter < 0x0fff {
                s.counter += 1
            } else {
                // counter exhausted within this millisecond: borrow the next millisecond
                s = (s.ms + 1, 0)
            }
            return (s.ms, s.counter)
        }
        var random = [UInt8](repeating: 0, count: 8)
        if ag_random_bytes(&random, 8) != 1 {
            var g = SystemRandomNumberGenerator()
            for i in 0..<8 { random[i] = UInt8.random(in: 0...255, using: &g) }
        }
        let bytes: uuid_t = (
            UInt8(truncatingIfNeeded: ms >> 40), UInt8(truncatingIfNeeded: ms >> 32),
            UInt8(truncatingIfNeeded: ms >> 24), UInt8(truncatingIfNeeded: ms >> 16),
            UInt8(truncatingIfNeeded: ms >> 8), UInt8(truncatingIfNeeded: ms),
            0x70 | UInt8(counter >> 8), UInt8(truncatingIfNeeded: counter),
            0x80 | (random[0] & 0x3f), random[1], random[2], random[3],
            random[4], random[5], random[6], random[7]
        )
        return UUID(uuid: bytes)
    }
}
