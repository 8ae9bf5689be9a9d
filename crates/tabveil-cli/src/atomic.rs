//! Where output files go, decided in this one place.
//!
//! - `-` is stdout.
//! - A regular file (or a path that does not exist yet) is written atomically: into a hidden
//!   temporary file in the same folder, flushed, then renamed over the final name, so the file
//!   appears whole or not at all. An existing file keeps its permissions.
//! - A FIFO, a character or block device or a socket (`/dev/null`, `/dev/stdout`, a named pipe)
//!   is written through, never renamed over.
//! - A symbolic link is followed: the file it points to is written by the rules above, and the
//!   link stays.
//!
//! Model folders are written by the library (`Fitted::save`), which has the same guarantees.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

/// How many symbolic links are followed before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// An output being written; [`Output::commit`] makes it appear.
pub(crate) struct Output {
    writer: BufWriter<Box<dyn Write>>,
    target: Target,
}

enum Target {
    Stdout,
    /// Written in place (special files).
    Direct(PathBuf),
    /// A temporary file renamed to `path` on commit.
    Atomic {
        tmp: PathBuf,
        path: PathBuf,
        /// The temporary file again, to sync it before the rename.
        file: File,
        permissions: Option<fs::Permissions>,
        committed: bool,
    },
}

/// True when `path` means stdout (`-`).
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens the output `path` (see the [module docs](self)). Nothing at `path` changes before
/// [`Output::commit`]; special files and stdout are written as bytes come.
///
/// # Errors
/// A folder in the way, a missing or unwritable folder, too many symbolic links.
pub(crate) fn create(path: &Path) -> anyhow::Result<Output> {
    if is_stdout(path) {
        return Ok(Output {
            writer: BufWriter::new(Box::new(std::io::stdout())),
            target: Target::Stdout,
        });
    }
    let path = follow_links(path)?;
    let meta = match fs::metadata(&path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
    };
    if let Some(m) = &meta {
        let t = m.file_type();
        if t.is_dir() {
            bail!("cannot write {}: it is a folder", path.display());
        }
        if t.is_fifo() || t.is_char_device() || t.is_block_device() || t.is_socket() {
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(Output {
                writer: BufWriter::new(Box::new(file)),
                target: Target::Direct(path),
            });
        }
    }
    let (parent, name) = parent_and_name(&path)?;
    let tmp = parent.join(format!(
        ".{name}.tmp-tabveil-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let sync = file
        .try_clone()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Output {
        writer: BufWriter::new(Box::new(file)),
        target: Target::Atomic {
            tmp,
            path,
            file: sync,
            permissions: meta.map(|m| m.permissions()),
            committed: false,
        },
    })
}

/// Writes `bytes` to `path` (see [`create`]).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = create(path)?;
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .with_context(|| format!("writing {}", path.display()))?;
    out.commit()
}

impl Output {
    /// True when the output is stdout.
    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout)
    }

    /// Flushes and puts the output in place.
    ///
    /// # Errors
    /// Writing, flushing or renaming failed; the final file is then unchanged.
    pub(crate) fn commit(mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        match &mut self.target {
            Target::Stdout | Target::Direct(_) => Ok(()),
            Target::Atomic {
                tmp,
                path,
                file,
                permissions,
                committed,
            } => {
                file.sync_all()
                    .with_context(|| format!("writing {}", path.display()))?;
                if let Some(p) = permissions.take() {
                    fs::set_permissions(&*tmp, p)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                fs::rename(&*tmp, &*path).with_context(|| format!("writing {}", path.display()))?;
                *committed = true;
                Ok(())
            }
        }
    }

    fn display(&self) -> String {
        match &self.target {
            Target::Stdout => "<stdout>".to_owned(),
            Target::Direct(p) | Target::Atomic { path: p, .. } => p.display().to_string(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Target::Atomic {
            tmp,
            committed: false,
            ..
        } = &self.target
        {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// `path` with every symbolic link at its end followed (a link to a file that does not exist
/// yet resolves to that file's path).
fn follow_links(path: &Path) -> anyhow::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&path)
                    .with_context(|| format!("cannot follow the link {}", path.display()))?;
                path = match path.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    bail!(
        "cannot write {}: too many levels of symbolic links",
        path.display()
    )
}

fn parent_and_name(path: &Path) -> anyhow::Result<(PathBuf, String)> {
    let name = path
        .file_name()
        .with_context(|| format!("cannot write {}: it names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tabveil-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = scratch("file");
        let path = dir.join("out.csv");
        write_file(&path, b"a\n1\n").unwrap();
        write_file(&path, b"a\n2\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"a\n2\n");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_output_dropped_before_commit_leaves_the_old_file() {
        let dir = scratch("drop");
        let path = dir.join("out.csv");
        write_file(&path, b"old").unwrap();
        let mut out = create(&path).unwrap();
        out.write_all(b"half").unwrap();
        drop(out);
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_are_followed_and_permissions_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("link");
        let target = dir.join("target.csv");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink("target.csv", dir.join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.join("b")).unwrap();
        write_file(&dir.join("b"), b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert!(
            fs::symlink_metadata(dir.join("b"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A link to a file that does not exist yet creates that file.
        std::os::unix::fs::symlink("later.csv", dir.join("c")).unwrap();
        write_file(&dir.join("c"), b"x").unwrap();
        assert_eq!(fs::read(dir.join("later.csv")).unwrap(), b"x");
        // A loop is an error, not a hang.
        std::os::unix::fs::symlink("loop2", dir.join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", dir.join("loop2")).unwrap();
        assert!(write_file(&dir.join("loop1"), b"x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = scratch("folder");
        assert!(write_file(&dir, b"x").is_err());
        assert!(dir.is_dir());
        fs::remove_dir_all(&dir).unwrap();
    }
}
