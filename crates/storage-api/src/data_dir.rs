//! The directory a store is kept in: what may stand there, and how it is made.

use std::path::Path;
use storage_core::{Error, Result};

/// Makes sure `dir` can hold a store: a directory, or a symbolic link to one, or nothing yet (it
/// is created, with its missing parents, readable by the owner only). Anything else is refused,
/// saying what is there.
pub(crate) fn prepare(dir: &Path) -> Result<()> {
    let wrong = |why: String| Error::Backend(format!("the data directory {} {why}", dir.display()));
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) if m.file_type().is_symlink() => match std::fs::metadata(dir) {
            Ok(target) if target.is_dir() => Ok(()),
            Ok(_) => Err(wrong(
                "is a symbolic link to something that is not a directory".into(),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let target = std::fs::read_link(dir).unwrap_or_default();
                Err(wrong(format!(
                    "is a symbolic link to {}, which does not exist",
                    target.display()
                )))
            }
            Err(e) => Err(wrong(format!(
                "is a symbolic link that cannot be followed ({e})"
            ))),
        },
        Ok(_) => Err(wrong("exists and is not a directory".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|e| wrong(format!("cannot be created ({e})")))
        }
        Err(e) => Err(wrong(format!("cannot be read ({e})"))),
    }
}
