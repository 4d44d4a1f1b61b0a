-- Reserved: number 0010 belongs to a migration of another branch. This file only keeps the
-- numbering contiguous here (storage.LoadMigrations refuses gaps) and is deleted when that
-- branch's 0010 is merged; the duplicate version makes LoadMigrations refuse to start until
-- it is. It changes nothing.
SELECT 1;
