-- Indexes for the dashboard pages: the groups page filters, sorts and pages group_state in
-- SQL, and the overview lists the worst groups. group_state has one row per group (a few
-- thousand), so these keep each page a short index scan rather than a sort of every row.

-- Worst groups first: by lag in time, and by lag where the time is unknown.
CREATE INDEX group_state_lag_seconds ON group_state (lag_seconds DESC NULLS LAST);
CREATE INDEX group_state_lag ON group_state (lag DESC NULLS LAST) WHERE lag_seconds IS NULL;

-- The topic filter: groups that read a topic.
CREATE INDEX group_state_topics ON group_state USING gin (topics);

-- Counts by health per cluster on the overview.
CREATE INDEX group_state_cluster_health ON group_state (cluster_id, health);
