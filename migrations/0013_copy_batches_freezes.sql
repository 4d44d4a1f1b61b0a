-- Resets: offsets copied from another group, several groups in one request, change freezes.
--
-- A reset of kind 'group' moves each queue to the offset another consumer group (its
-- source, params.source) has committed on the same topic; the targets are read when the
-- request is made and frozen into its preview like every other kind's.
ALTER TABLE reset_request DROP CONSTRAINT reset_request_kind_check;
ALTER TABLE reset_request ADD CONSTRAINT reset_request_kind_check
    CHECK (kind IN ('earliest', 'latest', 'timestamp', 'exact', 'shift', 'group'));
ALTER TABLE reset_request ADD CONSTRAINT reset_request_group_source
    CHECK (kind <> 'group' OR coalesce(params ->> 'source', '') <> '');
