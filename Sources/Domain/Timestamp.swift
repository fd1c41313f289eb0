import Foundation

/// RFC 3339 UTC timestamps with microseconds, the only form AsyncGate writes on the wire.
public enum Timestamp {
    public static func rfc3339(_ date: Date) -> String {
        // Written into the string's own storage: no array per field (this ran for every timestamp
        // of every receipt on a page).
        String(unsafeUninitializedCapacity: length) { write(date, into: $0) }
    }

    /// Appends `rfc3339(date)`'s UTF-8 bytes to `buffer` (response writers that skip `String`).
    public static func appendRFC3339(_ date: Date, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: length))
        buffer.withUnsafeMutableBufferPointer { all in
            _ = write(date, into: UnsafeMutableBufferPointer(rebasing: all[start...]))
        }
    }

    /// `2026-01-02T03:04:05.123456Z`
    static let length = 27

    static func write(_ date: Date, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int(floor(totalMicros / 1_000_000))
        let micros = Int(totalMicros - Double(seconds) * 1_000_000)
        var tm = tm()
        var t = time_t(seconds)
        gmtime_r(&t, &tm)
        var i = 0
        func put(_ v: Int, _ width: Int) {
            var x = v
            for k in stride(from: width - 1, through: 0, by: -1) { out[i + k] = UInt8(48 + x % 10); x /= 10 }
            i += width
        }
        func sep(_ c: UInt8) { out[i] = c; i += 1 }
        put(Int(tm.tm_year) + 1900, 4); sep(45)
        put(Int(tm.tm_mon) + 1, 2); sep(45)
        put(Int(tm.tm_mday), 2); sep(84)
        put(Int(tm.tm_hour), 2); sep(58)
        put(Int(tm.tm_min), 2); sep(58)
        put(Int(tm.tm_sec), 2); sep(46)
        put(micros, 6); sep(90)
        return i
    }
}
