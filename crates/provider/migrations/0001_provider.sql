-- The provider's swaps. `payment` and `refund_signed` are columns so the two
-- decisions that must exclude each other (pay the user's invoice; sign a
-- cooperative refund) are single guarded UPDATEs.
CREATE TABLE swaps (
    id             TEXT PRIMARY KEY NOT NULL,
    payment_hash   TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('submarine', 'reverse')),
    status         TEXT NOT NULL,
    data_json      TEXT NOT NULL,
    -- submarine: none | inflight | succeeded | failed
    payment        TEXT NOT NULL DEFAULT 'none',
    refund_signed  INTEGER NOT NULL DEFAULT 0 CHECK (refund_signed IN (0, 1)),
    final          INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    user_key       TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX swaps_user_key ON swaps (user_key);

CREATE TABLE statuses (
    swap_id  TEXT NOT NULL REFERENCES swaps (id),
    seq      INTEGER NOT NULL,
    status   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (swap_id, seq)
);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
