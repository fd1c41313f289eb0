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
        var out = [UInt8]()
        out.reserveCapacity(27)
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var x = v
            for i in stride(from: width - 1, through: 0, by: -1) { digits[i] = UInt8(48 + x % 10); x /= 10 }
            out.append(contentsOf: digits)
        }
        put(Int(tm.tm_year) + 1900, 4); out.append(45)
        put(Int(tm.tm_mon) + 1, 2); out.append(45)
        put(Int(tm.tm_mday), 2); out.append(84)
        put(Int(tm.tm_hour), 2); out.append(58)
        put(Int(tm.tm_min), 2); out.append(58)
        put(Int(tm.tm_sec), 2); out.append(46)
        put(micros, 6); out.append(90)
        return String(decoding: out, as: UTF8.self)
    }
}
