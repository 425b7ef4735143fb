-- Wallet metadata. Never secrets: the words and passphrase live in the OS keychain.
CREATE TABLE wallets (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL UNIQUE,
    network         TEXT NOT NULL CHECK (network IN ('bitcoin', 'testnet', 'signet', 'regtest')),
    -- BIP32 master key fingerprint, 8 hex digits.
    fingerprint     TEXT NOT NULL,
    -- Whether a BIP39 passphrase is part of the seed (the passphrase itself is in the keychain).
    has_passphrase  INTEGER NOT NULL CHECK (has_passphrase IN (0, 1)),
    -- Unix seconds.
    created_at      INTEGER NOT NULL,
    UNIQUE (fingerprint, network)
);

-- One row per BIP44/49/84/86 account: its origin path and extended public key.
CREATE TABLE wallet_accounts (
    wallet_id   TEXT NOT NULL REFERENCES wallets (id) ON DELETE CASCADE,
    purpose     INTEGER NOT NULL CHECK (purpose IN (44, 49, 84, 86)),
    account     INTEGER NOT NULL DEFAULT 0,
    path        TEXT NOT NULL,
    xpub        TEXT NOT NULL,
    PRIMARY KEY (wallet_id, purpose, account)
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
