-- Indexes for the auditors' reports (internal/audit/report.go, docs/AUDIT.md).
--
-- Listings page through the trail by seq (keyset paging, newest first), so the indexes
-- that serve a filter end in seq: reading one page is a short index scan in seq order
-- however many millions of entries match. The monthly summary reads a few actions over
-- one month, hence (action, at). Filters by time alone use audit_entry_at (0006).
--
-- Not partial: pages query with parameters, and a generic plan cannot prove that a
-- parameter satisfies an index predicate such as cluster <> ''.
CREATE INDEX audit_entry_action_seq ON audit_entry (action, seq);
CREATE INDEX audit_entry_action_at ON audit_entry (action, at);
CREATE INDEX audit_entry_resource_seq ON audit_entry (cluster, group_name, seq);

-- Reset entries are looked up by their request's id with audit_entry_reset (0007).
