import Glibc

/// Raises the soft RLIMIT_NOFILE to the hard limit so the server can hold many thousands of
/// connections (the default soft limit is often 1024).
enum FileDescriptorLimit {
    @discardableResult
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { return Int(clamping: raised.rlim_cur) }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
