-- A watch-only wallet: public keys only (an extended public key, a descriptor or
-- a hardware wallet's account), no keychain entry; its signer is the device.
ALTER TABLE wallets ADD COLUMN watch_only INTEGER NOT NULL DEFAULT 0 CHECK (watch_only IN (0, 1));
-- HWI's device type of the hardware wallet that holds its keys ('ledger', …), if known.
ALTER TABLE wallets ADD COLUMN device TEXT;
-- The name of the LND account the wallet's BIP84/49/86 account is imported as
-- (WalletKit ImportAccount): LND watches its coins, spent only through PSBTs.
ALTER TABLE wallets ADD COLUMN lnd_account TEXT;
