import Glibc
import HTTP

// libFuzzer entry point for the HTTP request parser (see HTTPParserFuzzing for what it checks).
//
// Fuzzing build (libFuzzer supplies `main`, hence -parse-as-library, which leaves this file's
// top-level code out of the build):
//   swift build -c debug --product HTTPFuzz --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DHTTP_LIBFUZZER
//   .build-fuzz/debug/HTTPFuzz -max_total_time=60 <corpus-dir>
// A plain `swift build` makes it a replayer: `HTTPFuzz FILE...` (or stdin) runs each input once,
// e.g. to reproduce a crash file libFuzzer wrote.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    HTTPParserFuzzing.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if !HTTP_LIBFUZZER
/// Without libFuzzer: replays each file argument (or stdin) through the entry point once.
@main
struct Replayer {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        var failed = false
        for path in paths.isEmpty ? ["-"] : Array(paths) {
            guard let bytes = readAll(path) else {
                print("HTTPFuzz: cannot read \(path)")
                failed = true
                continue
            }
            bytes.withUnsafeBufferPointer { _ = fuzzOneInput($0.baseAddress, $0.count) }
            print("HTTPFuzz: \(path): \(bytes.count) bytes ok")
        }
        exit(failed ? 1 : 0)
    }

    /// Reads a whole file (stdin for "-").
    static func readAll(_ path: String) -> [UInt8]? {
        let fd = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { if fd != 0 { close(fd) } }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }
}
#endif
