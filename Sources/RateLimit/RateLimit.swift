/// Rate limiting.
public enum RateLimitModule {}
