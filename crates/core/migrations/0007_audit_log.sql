-- The audit log (switchyard_pure::audit). One row per entry: its canonical JSON
-- exactly as the HMAC chain and the Merkle tree commit to it, and its chain link.
-- Kind and time are copied out of the line for filtering; the line is what counts.
CREATE TABLE audit_log (
    idx   INTEGER PRIMARY KEY CHECK (idx >= 0),
    line  TEXT NOT NULL,
    link  BLOB NOT NULL CHECK (length(link) = 32),
    at_ms INTEGER NOT NULL,
    kind  TEXT NOT NULL
);
CREATE INDEX audit_log_kind ON audit_log (kind, idx);

-- The signed tree head after each append (a TreeHead as JSON). Heads are never
-- changed; a third party compares the ones it kept with later ones.
CREATE TABLE audit_heads (
    size INTEGER PRIMARY KEY CHECK (size > 0),
    head TEXT NOT NULL
);

-- The right edge of the Merkle tree (switchyard_pure::audit::merkle::Frontier):
-- its size and subtree roots (hex, largest first), so a head is signed after each
-- append without reading the whole log. `audit verify` recomputes everything.
CREATE TABLE audit_frontier (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    size   INTEGER NOT NULL,
    hashes TEXT NOT NULL
);
