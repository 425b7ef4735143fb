-- Mission control: what each payment attempt along a route taught us about a
-- channel direction's liquidity (see crates/core/src/graph/mission.rs).
CREATE TABLE route_outcomes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scid        INTEGER NOT NULL,
    -- 0: sent from the channel's node1 (smaller key), 1: from node2.
    direction   INTEGER NOT NULL CHECK (direction IN (0, 1)),
    amount_msat INTEGER NOT NULL CHECK (amount_msat >= 0),
    success     INTEGER NOT NULL CHECK (success IN (0, 1)),
    -- Unix seconds.
    at          INTEGER NOT NULL
);
CREATE INDEX route_outcomes_at ON route_outcomes (at);
