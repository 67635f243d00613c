-- Nothing on SQLite: the optimistic acceptance that needs acceptance_conflict() runs on
-- PostgreSQL only (store::optimistic). The version is kept so that both dialects number alike.
SELECT 1;
