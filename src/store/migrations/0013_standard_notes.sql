-- Every edit of a standard says why: the change note an admin gives in the dashboard's editor (or
-- asgard standards put --note). Versions written before have none.
ALTER TABLE standards ADD COLUMN note text NOT NULL DEFAULT '';
