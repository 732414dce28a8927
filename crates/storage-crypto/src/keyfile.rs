//! [`KeyFileProvider`]: a master key kept in a file readable by its owner only.

use crate::provider::{KeyProvider, MasterKey};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use storage_core::{Error, Result};
use zeroize::Zeroizing;

/// A master key kept in a file, created with a fresh random key on first use (the command line's
/// default) when a store is created or rotated to it; opening an existing store never creates it.
///
/// - The file holds the key as 64 hexadecimal digits and a newline.
/// - On Unix it is created with mode `0600` (owner read/write only), and a file that group or
///   others may read, write or run is refused with a clear error rather than used.
/// - Creation is atomic: the key is written and synced to a temporary file in the same directory,
///   then linked into place only if no file exists there yet, so two processes starting at once
///   agree on one key and nobody ever reads half a key.
///
/// ```
/// use storage_crypto::{KeyFileProvider, KeyProvider};
/// let dir = tempfile::tempdir().unwrap();
/// let provider = KeyFileProvider::new(dir.path().join("master.key"));
/// let first = provider.master_key().unwrap(); // creates the file
/// assert_eq!(provider.master_key().unwrap().as_bytes(), first.as_bytes());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFileProvider {
    path: PathBuf,
}

impl KeyFileProvider {
    /// A provider of the key in the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KeyFileProvider { path: path.into() }
    }

    /// The key file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<Option<MasterKey>> {
        let path = &self.path;
        // Opening a FIFO or a device would block or read forever: only a regular file is a key.
        match fs::metadata(path) {
            Ok(m) if !m.is_file() => {
                return Err(Error::Backend(format!(
                    "key file {} is not a regular file",
                    path.display()
                )))
            }
            _ => {}
        }
        let mut file = match fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(path, "cannot open", &e)),
        };
        check_private(path, &file)?;
        let mut text = Zeroizing::new(String::new());
        std::io::Read::read_to_string(&mut file, &mut text)
            .map_err(|e| io_error(path, "cannot read", &e))?;
        MasterKey::from_hex(&text).map(Some).map_err(|e| match e {
            Error::InvalidParam(why) => {
                Error::InvalidParam(format!("key file {}: {why}", path.display()))
            }
            other => other,
        })
    }

    /// Writes a new random key at `path` unless a file appeared there first.
    fn create(&self) -> Result<()> {
        let path = &self.path;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let key = MasterKey::generate()?;
        let mut nonce = [0u8; 8];
        crate::keys::fill_random(&mut nonce)?;
        let name = path
            .file_name()
            .map_or_else(|| "key".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(
            ".{name}.{}.tmp",
            crate::hex::encode(&nonce).as_str()
        ));
        let result = write_private(&tmp, &key).and_then(|()| {
            match fs::hard_link(&tmp, path) {
                Ok(()) => sync_dir(&dir),
                // Someone else created it first: theirs is the key.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(io_error(path, "cannot create", &e)),
            }
        });
        // The temporary name is only a staging area; the key lives on under `path`.
        let _ = fs::remove_file(&tmp);
        result
    }
}

impl KeyProvider for KeyFileProvider {
    /// The key in the file, after creating the file with a fresh random key if there is none.
    fn master_key(&self) -> Result<MasterKey> {
        if let Some(key) = self.read()? {
            return Ok(key);
        }
        self.create()?;
        self.read()?.ok_or_else(|| {
            Error::Backend(format!(
                "key file {} vanished right after it was created",
                self.path.display()
            ))
        })
    }

    /// The key in the file; a missing file is a wrong key (see [`crate::is_wrong_master_key`]),
    /// and no file is created.
    fn existing_master_key(&self) -> Result<MasterKey> {
        self.read()?.ok_or_else(|| {
            Error::WrongMasterKey(format!(
                "key file {} does not exist (a new key cannot open an existing store; nothing \
                 was created)",
                self.path.display()
            ))
        })
    }
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> Error {
    Error::Backend(format!("key file {}: {what}: {e}", path.display()))
}

fn write_private(tmp: &Path, key: &MasterKey) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(tmp)
        .map_err(|e| io_error(tmp, "cannot create", &e))?;
    let mut text = key.to_hex();
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(tmp, "cannot write", &e))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    // The link is durable only once its directory is.
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, "cannot sync the directory of", &e))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn check_private(path: &Path, file: &fs::File) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(|e| io_error(path, "cannot inspect", &e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::InvalidParam(format!(
            "key file {} has mode {:o}: others than its owner may use it; \
             run `chmod 600` on it (and consider the key compromised if others read it)",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _file: &fs::File) -> Result<()> {
    Ok(())
}
