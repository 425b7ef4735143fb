-- Swaps (#14). One row per swap, keyed by its payment hash (known before the
-- provider is asked, so a swap exists here before any request leaves), and
-- its event log. The full create request and response are kept verbatim:
-- with the wallet's words they are everything a claim or refund needs.
-- Never secrets: keys and preimages are derived again from the seed. A wallet
-- with unfinished swaps cannot be deleted (checked by the wallet service); its
-- finished ones go with it.
CREATE TABLE swaps (
    id              TEXT PRIMARY KEY NOT NULL,       -- payment hash, hex
    wallet_id       TEXT NOT NULL REFERENCES wallets (id) ON DELETE CASCADE,
    network         TEXT NOT NULL,
    key_index       INTEGER NOT NULL,                -- m/9735'/coin'/0'/index'
    kind            TEXT NOT NULL CHECK (kind IN ('submarine', 'reverse')),
    provider_url    TEXT NOT NULL,
    provider_id     TEXT,                            -- the provider's swap id, once created
    quote_json      TEXT NOT NULL,                   -- the quote the user agreed to
    request_json    TEXT NOT NULL,
    response_json   TEXT,                            -- verbatim, stored before any money moves
    checked_json    TEXT,                            -- the checked terms
    invoice         TEXT,                            -- ours (submarine) or the provider's hold invoice (reverse)
    state_json      TEXT NOT NULL,                   -- the state machine's state
    phase           TEXT NOT NULL,
    htlc            TEXT NOT NULL,
    outcome         TEXT,
    final           INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
    provider_status TEXT,                            -- what the provider says, kept apart
    sweep_hex       TEXT,                            -- our signed claim/refund, rebroadcast as is
    error           TEXT,                            -- why it stopped, in words
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (wallet_id, network, key_index)
);
CREATE UNIQUE INDEX swaps_provider_id ON swaps (provider_url, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX swaps_unfinished ON swaps (final) WHERE final = 0;

CREATE TABLE swap_events (
    swap_id     TEXT NOT NULL REFERENCES swaps (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    event_json  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (swap_id, seq)
);
