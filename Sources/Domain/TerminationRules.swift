/// The static termination table of SPEC §5: which receipts create obligations and which discharge
/// them. An obligation is open iff no terminator naming it as a parent exists (database evidence).
/// The same table is mirrored by the `receipts_track_obligations` trigger (migrations/0001, now
/// run once per statement: migrations/0011).
public enum TerminationRules {
    public static let obligationTypes: Set<ReceiptType> = [.taskAssigned]

    /// For each obligation type, the receipt types that discharge it.
    public static let terminators: [ReceiptType: Set<ReceiptType>] = [
        .taskAssigned: [.taskCompleted, .taskFailed, .taskCanceled],
    ]

    public static let terminatorTypes: Set<ReceiptType> = Set(terminators.values.flatMap { $0 })

    public static func isObligation(_ type: ReceiptType) -> Bool { obligationTypes.contains(type) }
    public static func isTerminator(_ type: ReceiptType) -> Bool { terminatorTypes.contains(type) }

    public static func discharges(_ terminator: ReceiptType, _ obligation: ReceiptType) -> Bool {
        terminators[obligation]?.contains(terminator) ?? false
    }
}
