-- Node profiles: where an LND node is and how to log in. Never secrets: a
-- stored profile's macaroon and its node's wallet password live in the OS
-- keychain (entries profile/<id>/macaroon and profile/<id>/wallet-password).
CREATE TABLE node_profiles (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL UNIQUE,
    network         TEXT NOT NULL CHECK (network IN ('bitcoin', 'testnet', 'signet', 'regtest')),
    -- 'files': certificate and macaroon are read from the paths below at each
    -- connect (LND rewrites them); 'stored': certificate here, macaroon in the keychain.
    kind            TEXT NOT NULL CHECK (kind IN ('files', 'stored')),
    -- JSON array of "host:port", the preferred endpoint first (an LND cluster has several).
    endpoints       TEXT NOT NULL,
    tls_cert_path   TEXT,
    macaroon_path   TEXT,
    -- The node's TLS certificate (DER) for 'stored' profiles; public.
    tls_cert_der    BLOB,
    -- The Switchyard wallet whose seed initialised the node's wallet, if any.
    wallet_id       TEXT REFERENCES wallets (id) ON DELETE SET NULL,
    -- 1 when the keychain holds the node's wallet password (unlocked on start-up).
    auto_unlock     INTEGER NOT NULL DEFAULT 0 CHECK (auto_unlock IN (0, 1)),
    -- Unix seconds.
    created_at      INTEGER NOT NULL,
    CHECK (kind <> 'files' OR (tls_cert_path IS NOT NULL AND macaroon_path IS NOT NULL)),
    CHECK (kind <> 'stored' OR tls_cert_der IS NOT NULL)
);
