-- Server-side sessions, in the layout github.com/alexedwards/scs/pgxstore expects. The token
-- column holds a SHA-256 of the cookie value (scs HashTokenInStore), so a copy of this table
-- cannot be replayed as cookies.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- "Sign out everywhere": each session remembers the generation of its user at sign-in, and a
-- session whose generation is older than this row's is refused. Bumping the generation
-- revokes every session of the user at once, including ones written back by requests that
-- were in flight.
CREATE TABLE session_generation (
    issuer     text NOT NULL,
    subject    text NOT NULL,
    generation bigint NOT NULL DEFAULT 0,
    revoked_at timestamptz,
    PRIMARY KEY (issuer, subject)
);
