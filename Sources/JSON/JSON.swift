/// A JSON value.
///
/// Numbers keep the distinction the wire format makes: an integer literal that fits `Int64` is `.int`,
/// anything else (fraction, exponent, or out of `Int64` range) is `.double`. Equality is structural and
/// therefore case-sensitive about that split: `.int(1) != .double(1)`.
///
/// Object keys and string values are Swift `String`s, so equality and dictionary lookup follow Swift's
/// canonical-equivalence rules (precomposed "é" equals "e\u{301}"); serialization, however, writes the
/// exact UTF-8 bytes that were stored.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// An integer literal that fits `Int64` (no fraction, no exponent).
    case int(Int64)
    /// Any other number. The parser only produces finite values; a non-finite value built in code is
    /// serialized as `null` so that output is always valid JSON.
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}
