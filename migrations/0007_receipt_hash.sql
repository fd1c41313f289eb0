-- The receipt hash of SPEC §5 (Sources/Domain/ReceiptHash.swift), for the statements that write
-- receipts whose fields only the database knows when the statement runs: the claim (attempt,
-- lease expiry, owner, obligation) and the complete (owner, obligation). Writing them inside those
-- statements makes each operation one statement and one round trip.
--
-- The canonical JSON object has a fixed shape, spelled out here: keys in byte order, no spaces,
-- strings escaped by to_json, which escapes exactly as JSONEscaping does (\" \\ \b \f \n \r \t,
-- other control characters as lowercase \u00xx, everything else raw UTF-8). p_parents is the
-- canonical JSON array of the parent ids (lowercase, sorted), p_body_sha256 the hex SHA-256 of the
-- canonical body. Tests recompute every hash written this way with ReceiptHash.
--
-- STABLE, not IMMUTABLE (to_json and convert_to are STABLE): that lets PostgreSQL inline the
-- body into the calling statement instead of running a SQL function per receipt.
CREATE FUNCTION asyncgate_receipt_hash(p_type text, p_task_id uuid, p_from_kind text, p_from_id text,
                                       p_to_kind text, p_to_id text, p_lease_id uuid, p_parents text,
                                       p_body_sha256 text)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(
        '{"body_sha256":' || to_json(p_body_sha256)::text
        || ',"from_id":' || to_json(p_from_id)::text
        || ',"from_kind":' || to_json(p_from_kind)::text
        || ',"lease_id":' || coalesce(to_json(p_lease_id::text)::text, 'null')
        || ',"parents":' || p_parents
        || ',"receipt_type":' || to_json(p_type)::text
        || ',"task_id":' || coalesce(to_json(p_task_id::text)::text, 'null')
        || ',"to_id":' || to_json(p_to_id)::text
        || ',"to_kind":' || to_json(p_to_kind)::text
        || '}', 'UTF8')), 'hex')
$$;
