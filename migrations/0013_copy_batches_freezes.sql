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

-- Several groups or topics in one request: each (group, topic) is a row of its own, with its
-- own frozen preview, outcome and verification. The rows of one request share batch_id (the
-- id of its first row, which names the request) and are numbered by batch_index from 0, of
-- batch_size. They are requested, approved, rejected, cancelled and expire together, and are
-- executed one after the other. Single requests, all rows made before, keep the three NULL.
ALTER TABLE reset_request
    ADD COLUMN batch_id uuid,
    ADD COLUMN batch_index int,
    ADD COLUMN batch_size int,
    ADD CONSTRAINT reset_request_batch CHECK (
        (batch_id IS NULL AND batch_index IS NULL AND batch_size IS NULL)
        OR (batch_id IS NOT NULL AND batch_size >= 2 AND batch_index >= 0 AND batch_index < batch_size));
CREATE UNIQUE INDEX reset_request_batch_item ON reset_request (batch_id, batch_index) WHERE batch_id IS NOT NULL;
