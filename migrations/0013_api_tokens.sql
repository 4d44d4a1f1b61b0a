-- API tokens: bearer credentials for the JSON API (/api/v1), so scripts and on-call tooling
-- read what the pages show without a browser session. Only a SHA-256 of the secret is kept;
-- the secret is shown once, when the token is issued.
--
-- A user token acts as the user who issued it: the identity (and its claims, which the
-- policy matches) is copied at issue, and the token dies with "sign out everywhere"
-- (generation). A service token belongs to no person: an administrator gives it a role and
-- cluster and group patterns of its own.
CREATE TABLE api_token (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('user', 'service')),
    secret_hash   text NOT NULL UNIQUE,
    -- Who the token acts as: the user's identity, or the service account's own.
    identity      jsonb NOT NULL,
    -- Who issued it and from which sign-in generation (user tokens die when it is bumped).
    owner_issuer  text NOT NULL,
    owner_subject text NOT NULL,
    generation    bigint NOT NULL DEFAULT 0,
    permissions   text[] NOT NULL,
    -- A service token's grant: a role and the cluster and group patterns it reaches.
    role          text,
    clusters      text[],
    groups        text[],
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    last_used_from text,
    revoked_at    timestamptz,
    revoked_by    text,
    CHECK (kind = 'user' OR (role IS NOT NULL AND clusters IS NOT NULL AND groups IS NOT NULL))
);
CREATE INDEX api_token_owner_idx ON api_token (owner_issuer, owner_subject);
