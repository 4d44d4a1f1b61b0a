-- Reserved: version 0012 belongs to a migration on another branch that is not merged here
-- yet. Migrations must be numbered without gaps, so this placeholder holds the number; it
-- changes nothing. Delete it when that branch's 0012 is merged.
SELECT 1;
