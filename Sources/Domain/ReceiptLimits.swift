public enum ReceiptLimits {
    public static let maxBodyBytes = 64 * 1024
    public static let maxParents = 10
    public static let maxArtifacts = 100
}

public enum TaskLimits {
    public static let maxPayloadBytes = 1024 * 1024
    public static let maxTypeLength = 256
    public static let maxIdempotencyKeyLength = 256
    public static let maxStringField = 1024
}
