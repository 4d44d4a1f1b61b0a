-- Clusters as configured. Rows are upserted from configuration at start, so history that
-- refers to a cluster survives a rename of its name servers.
CREATE TABLE cluster (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    namesrv_addrs text[] NOT NULL CHECK (cardinality(namesrv_addrs) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
