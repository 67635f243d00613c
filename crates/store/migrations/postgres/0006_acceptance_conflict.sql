-- Fails the statement that calls it with serialization_failure (40001). An optimistic
-- acceptance (store::optimistic) is one statement that is its own transaction; it calls this
-- when a balance no longer holds what the gateway assumed or an order was not inserted, so that
-- nothing of the group is kept and the gateway decides it again on the locking path.
CREATE FUNCTION acceptance_conflict() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'acceptance conflict: a balance or an order changed since it was read'
        USING ERRCODE = 'serialization_failure';
END
$$;
