//! Files a user names and files we write.
//!
//! - Reading a path the user typed (a backup, a certificate, a macaroon)
//!   never reads more than a cap: `/dev/zero` or a huge file is refused
//!   after `limit + 1` bytes instead of exhausting memory.
//! - The data directory and everything sensitive we write into it (exports,
//!   backups) are the owner's only: directories 0700, files 0600 on Unix.
//!   Files are written to a temporary name, synced and renamed, so a crash
//!   never leaves half a file under the real name.

use std::io::{Read, Write};
use std::path::Path;

/// A channel backup: LND's multi-channel backup is a few hundred bytes per
/// channel; 16 MiB is tens of thousands of channels.
pub const MAX_BACKUP_BYTES: u64 = 16 * 1024 * 1024;
/// A PEM certificate or a macaroon.
pub const MAX_CREDENTIAL_BYTES: u64 = 64 * 1024;

/// Reads at most `limit` bytes of `path`; a longer file (or an endless one)
/// is an error that says so.
pub fn read_capped(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is larger than {limit} bytes, too large to be what was asked for"),
        ));
    }
    Ok(buf)
}

/// Creates `dir` (and its parents) and makes it the owner's only (0700 on Unix).
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename), the
/// file readable by the owner only (0600 on Unix); its directory is created
/// private if missing.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        ensure_private_dir(dir)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = dir.join(name);
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// An exclusive advisory lock on a file (`flock` on Unix), held until
/// dropped or until the process ends, however it ends.
#[derive(Debug)]
pub struct FileLock(#[allow(dead_code)] std::fs::File);

fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Waits for the exclusive lock on `path` (created if missing). Blocking:
/// meant for short critical sections between processes, such as migrating a
/// database two processes open at once for the first time.
pub fn lock_exclusive(path: &Path) -> std::io::Result<FileLock> {
    let f = lock_file(path)?;
    f.lock()?;
    Ok(FileLock(f))
}

/// Takes the exclusive lock on `path` if nobody holds it; `None` if another
/// process (or another handle in this one) does.
pub fn try_lock_exclusive(path: &Path) -> std::io::Result<Option<FileLock>> {
    let f = lock_file(path)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(FileLock(f))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The lock serialising the first opening (and migration) of the SQLite
/// database at `db`: `<db>.lock`, waited for off the async threads.
pub async fn migration_lock(db: &Path) -> std::io::Result<FileLock> {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let path = db.with_file_name(name);
    tokio::task::spawn_blocking(move || lock_exclusive(&path))
        .await
        .map_err(std::io::Error::other)?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_capped_even_for_endless_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_capped(&p, 5).unwrap(), b"12345");
        let e = read_capped(&p, 4).unwrap_err();
        assert!(e.to_string().contains("larger than 4 bytes"), "{e}");
        #[cfg(unix)]
        {
            let e = read_capped(Path::new("/dev/zero"), 1024).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_is_held_until_dropped() {
        let dir = std::env::temp_dir().join(format!("sy-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.lock");
        let held = try_lock_exclusive(&path).unwrap().expect("free at first");
        assert!(try_lock_exclusive(&path).unwrap().is_none(), "held");
        drop(held);
        let again = lock_exclusive(&path).unwrap();
        assert!(try_lock_exclusive(&path).unwrap().is_none());
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn written_files_and_dirs_are_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("exports").join("x.csv");
        write_private(&p, b"a,b\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().unwrap()), 0o700);
        assert_eq!(std::fs::read(&p).unwrap(), b"a,b\n");
        write_private(&p, b"again").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"again");
        assert!(!dir.path().join("exports").join("x.csv.tmp").exists());
    }
}
