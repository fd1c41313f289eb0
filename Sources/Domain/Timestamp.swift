import Foundation

/// RFC 3339 UTC timestamps with microseconds, the only form AsyncGate writes on the wire.
public enum Timestamp {
    public static func rfc3339(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int(floor(totalMicros / 1_000_000))
        let micros = Int(totalMicros - Double(seconds) * 1_000_000)
        var tm = tm()
        var t = time_t(seconds)
        gmtime_r(&t, &tm)
        seconds = 0
        // Written into the string's own storage: no array per field (this ran for every timestamp
        // of every receipt on a page).
        return String(unsafeUninitializedCapacity: 27) { out in
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
}
