-- Retention by archival (internal/audit/archive.go; docs/AUDIT.md, "Retention and archival").
--
-- Nothing is deleted by default. `web archive` writes the oldest entries to a file, appends
-- an audit.archived entry recording their range, the last one's hash and the file's SHA-256,
-- and removes them with audit_archive(upto), all in one transaction.
--
-- Why a function that sets a transaction-local setting, rather than a role or a flag alone:
--
-- * audit_archive deletes `seq <= upto` and nothing else, and refuses to remove the newest
--   entry. Through it only a prefix of the chain can go, never entries from the middle or the
--   end, and the numbering carries on from the kept head. Verification accepts a chain that
--   starts after a prefix only when its latest audit.archived entry records that prefix's
--   last seq and hash.
-- * The trigger lets a DELETE through only for rows with seq <= lagboard.audit_archive_upto,
--   which audit_archive sets for the length of its own DELETE and clears before returning.
--   A plain DELETE, by any role, superusers included, is still refused; UPDATE and TRUNCATE
--   are refused always, as in 0006.
-- * The setting is a guard against mistakes, not an authorisation: any session can set a
--   custom setting. What authorises is the DELETE privilege (the function is SECURITY
--   INVOKER, so a role with only SELECT and INSERT on audit_entry, as production's
--   application role should be, cannot archive), and what detects a deletion made any other
--   way is the hash chain.
CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    upto text := current_setting('lagboard.audit_archive_upto', true);
BEGIN
    -- Nested, not AND: OLD does not exist for TRUNCATE, and the cast must see digits only.
    IF TG_OP = 'DELETE' AND upto ~ '^[0-9]{1,18}$' THEN
        IF OLD.seq <= upto::bigint THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit entries are never changed or removed, except old ones moved out by web archive; see docs/AUDIT.md.';
END
$$;

-- audit_archive removes the entries with seq <= upto and returns how many it removed. The
-- caller has already written them to an archive file and appended the audit.archived entry
-- in the same transaction.
CREATE FUNCTION audit_archive(upto bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
    removed bigint;
BEGIN
    SELECT max(seq) INTO head FROM audit_entry;
    IF upto IS NULL OR upto < 1 OR head IS NULL OR upto >= head THEN
        RAISE EXCEPTION 'audit_archive(%): the newest entry (seq %) must stay', upto, head
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Append the audit.archived entry before removing the archived range.';
    END IF;
    PERFORM set_config('lagboard.audit_archive_upto', upto::text, true);
    DELETE FROM audit_entry WHERE seq <= upto;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('lagboard.audit_archive_upto', '', true);
    RETURN removed;
END
$$;
