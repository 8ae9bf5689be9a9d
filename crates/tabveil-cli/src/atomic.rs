//! Atomic writes: a file or a model directory appears whole under its final name, or not at
//! all. Everything is first written under a hidden temporary name in the same directory (same
//! file system), flushed, then renamed.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

use tabveil::models::MODEL_MANIFEST_FILE as MODEL_MANIFEST;

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let (parent, tmp) = temporary_sibling(path)?;
    fs::create_dir_all(&parent)
        .with_context(|| format!("creating the directory {}", parent.display()))?;
    let result = (|| -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

/// Fills a fresh temporary directory beside `path` with `fill`, then puts it in place of
/// `path`. An existing `path` is replaced only if it is empty or a tabveil model directory;
/// anything else is refused, so that `--out` never deletes a user's directory.
pub(crate) fn write_dir(
    path: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    check_replaceable(path)?;
    let (parent, tmp) = temporary_sibling(path)?;
    fs::create_dir_all(&parent)
        .with_context(|| format!("creating the directory {}", parent.display()))?;
    fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let result = replace_dir(&tmp, path);
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn replace_dir(tmp: &Path, path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return fs::rename(tmp, path)
            .with_context(|| format!("moving the model to {}", path.display()));
    }
    // rename(2) cannot replace a non-empty directory: move the old one aside first. Between
    // the two renames `path` is briefly absent, never half-written.
    let (_, old) = temporary_sibling(path)?;
    fs::rename(path, &old).with_context(|| format!("moving the old {} aside", path.display()))?;
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::rename(&old, path);
        return Err(e).with_context(|| format!("moving the model to {}", path.display()));
    }
    fs::remove_dir_all(&old).with_context(|| format!("removing the old model {}", old.display()))
}

/// Errors unless `path` is absent, an empty directory or a tabveil model directory (checked
/// before a long fit, so that a bad `--out` fails at once).
pub(crate) fn check_replaceable(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    if !path.is_dir() {
        bail!(
            "{} exists and is not a directory; choose another --out",
            path.display()
        );
    }
    let empty = fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .next()
        .is_none();
    if empty || path.join(MODEL_MANIFEST).is_file() {
        Ok(())
    } else {
        bail!(
            "{} exists and is not a tabveil model directory; choose another --out or remove it",
            path.display()
        )
    }
}

/// The parent directory of `path` and a hidden, unique temporary name in it.
fn temporary_sibling(path: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = parent.join(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
    Ok((parent, tmp))
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
    fn a_failed_fill_leaves_nothing_and_keeps_the_old_model() {
        let dir = scratch("dir");
        let model = dir.join("model");
        write_dir(&model, |d| Ok(fs::write(d.join(MODEL_MANIFEST), "1")?)).unwrap();
        let err = write_dir(&model, |d| {
            fs::write(d.join(MODEL_MANIFEST), "half")?;
            bail!("interrupted")
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(model.join(MODEL_MANIFEST)).unwrap(), "1");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary left");
        write_dir(&model, |d| Ok(fs::write(d.join(MODEL_MANIFEST), "2")?)).unwrap();
        assert_eq!(fs::read_to_string(model.join(MODEL_MANIFEST)).unwrap(), "2");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_user_directory_is_never_replaced() {
        let dir = scratch("user");
        fs::write(dir.join("thesis.tex"), "precious").unwrap();
        let err = write_dir(&dir, |_| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("not a tabveil model directory"),
            "{err}"
        );
        assert_eq!(
            fs::read_to_string(dir.join("thesis.tex")).unwrap(),
            "precious"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
