/// Typed client for the AsyncGate REST API.
public enum AsyncGateClientModule {}
