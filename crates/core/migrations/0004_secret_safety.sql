-- How a wallet's BIP39 passphrase was stretched into its seed: 1 = NFKD-normalised
-- as BIP39 requires (every wallet made from now on, and every wallet without a
-- passphrase); 0 = the bytes as typed, as Switchyard did before, which for a
-- passphrase with accents is another wallet than other BIP39 software finds;
-- NULL = not checked yet (the check reads the passphrase from the keychain once).
ALTER TABLE wallets ADD COLUMN passphrase_nfkd INTEGER CHECK (passphrase_nfkd IN (0, 1));
UPDATE wallets SET passphrase_nfkd = 1 WHERE has_passphrase = 0;

-- A node wallet password Switchyard generated (node init) exists nowhere but in
-- the keychain until the user reveals it; such a profile cannot be removed before.
ALTER TABLE node_profiles ADD COLUMN password_generated INTEGER NOT NULL DEFAULT 0
    CHECK (password_generated IN (0, 1));
ALTER TABLE node_profiles ADD COLUMN password_revealed INTEGER NOT NULL DEFAULT 0
    CHECK (password_revealed IN (0, 1));
-- Profiles made by `node init` so far: linked to a wallet and auto-unlocked.
UPDATE node_profiles SET password_generated = 1 WHERE wallet_id IS NOT NULL AND auto_unlock = 1;

-- 0 while a stored profile's macaroon is not in the keychain yet: `node init`
-- whose outcome LND did not confirm keeps the profile (and the password) and
-- waits for the admin macaroon from the node's files.
ALTER TABLE node_profiles ADD COLUMN macaroon_stored INTEGER NOT NULL DEFAULT 1
    CHECK (macaroon_stored IN (0, 1));
