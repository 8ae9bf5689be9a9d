//! Saving a model directory without ever touching what tabveil did not write.
//!
//! A model is written into a fresh *staging* folder beside its destination — named
//! `.<name>.tmp-tabveil-<pid>-<nanos>` and holding a [`STAGING_MARKER`] file — and moved into
//! place by renaming, so the destination holds either the old model or the new one, never half
//! of one. An existing destination is replaced only when it is an empty folder or a complete
//! tabveil model, checked by its manifest and checksum, holding nothing but the files a model
//! is made of; anything else (a user's folder that happens to hold a `model.json`, a model with
//! a file of the user's added, a damaged model, a symbolic link in place of a model file) is
//! refused with [`ModelError::OutputRefused`] and left as it is. The old model's files are
//! removed one by one by name, never with a recursive delete.
//!
//! A save that was interrupted (killed, power loss) leaves its staging folder behind; the next
//! save to the same destination removes it, provided it is recognisably tabveil's: its name
//! follows the pattern above for that destination, it holds the marker with the exact marker
//! text, and the process named in it is no longer running.
//!
//! A symbolic link given as the destination is followed: the model replaces the folder it
//! points to, and the link stays.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{MODEL_MANIFEST_FILE, PARAMETERS_FILE, SavedModel};
use crate::error::{ModelError, Result};

/// The file that marks a staging folder as tabveil's own.
pub const STAGING_MARKER: &str = ".tabveil-staging";
/// The text of [`STAGING_MARKER`].
const MARKER_TEXT: &str =
    "tabveil: a model being saved; safe to delete when no tabveil process is running\n";
/// A staging folder whose process cannot be checked is stale after this long.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);
/// The probe of [`check_model_dir`] writes at most this much.
const MAX_PROBE_BYTES: u64 = 1 << 30;

/// A fresh folder, created by [`save_model_dir`], that becomes the model once filled.
#[derive(Debug)]
pub struct StagingDir {
    path: PathBuf,
}

impl StagingDir {
    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a new file `name` (a plain file name) into the folder.
    ///
    /// # Errors
    /// [`ModelError::Io`]; also when the file already exists.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        if name.contains(['/', '\\']) || name.is_empty() || name == STAGING_MARKER {
            return Err(ModelError::Internal(
                "a staged file name is not a plain name",
            ));
        }
        write_new(&self.path.join(name), bytes)
    }
}

/// Saves a model into the folder `dir`: `fill` writes the files into a [`StagingDir`] beside
/// `dir` (a hidden folder `.<name>.tmp-tabveil-<pid>-<nanos>` holding a [`STAGING_MARKER`]),
/// which must then load as a model (manifest and checksum) and is renamed into place, so `dir`
/// holds the old model or the new one, never half of one. `extra_files` names the files besides
/// the model's own that the caller writes and may therefore replace (the facade's fit record).
///
/// An existing `dir` is replaced only if it is an empty folder or a complete tabveil model
/// (its manifest and checksum verified) holding nothing but a model's files, all regular
/// files; the old model's files are then removed by name, never with a recursive delete.
/// Anything else is refused. A symbolic link at `dir` is followed (the folder it points to is
/// replaced; the link stays). Staging folders that interrupted saves of `dir` left behind are
/// removed, but only those whose name, marker and dead process all say they are tabveil's.
///
/// # Errors
/// [`ModelError::OutputRefused`] when `dir` exists and is not an empty folder or a complete
/// tabveil model made of its own files only; [`ModelError::Io`] when a file cannot be written
/// or moved; whatever `fill` returns. On error nothing at `dir` has changed.
pub fn save_model_dir(
    dir: &Path,
    extra_files: &[&str],
    fill: impl FnOnce(&StagingDir) -> Result<()>,
) -> Result<()> {
    let dir = resolve(dir)?;
    let existing = replaceable(&dir, extra_files)?;
    let (parent, name) = split(&dir)?;
    fs::create_dir_all(&parent).map_err(|e| io_error(&parent, &e))?;
    clean_stale(&parent, &name);
    let staging = create_staging(&parent, &name)?;
    let result = fill(&staging).and_then(|()| {
        // The checksum of what was written, read back: a model that does not load is never
        // put in place.
        SavedModel::load_dir(&staging.path).map(|_| ())
    });
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging.path);
        return Err(e);
    }
    let moved = match existing {
        Existing::Nothing => rename_into_place(&staging.path, &dir),
        Existing::Model(files) => swap(&staging.path, &dir, &parent, &name, &files),
    };
    if let Err(e) = moved {
        let _ = fs::remove_dir_all(&staging.path);
        return Err(e);
    }
    // The marker came along with the folder; the model does not need it.
    let _ = fs::remove_file(dir.join(STAGING_MARKER));
    Ok(())
}

/// The checks of [`save_model_dir`] that can be made before a model exists, so that a long
/// (and, in private mode, budget-spending) fit does not end in a save that fails: `dir` must be
/// absent, an empty folder or a complete tabveil model (as for [`save_model_dir`]); its nearest
/// existing ancestor must let tabveil create a folder; and that file system must take
/// `estimated_bytes` (the probe writes that many bytes, at most 1 GiB, then removes them).
/// Stale staging folders of `dir` are cleaned on the way. Nothing else is created or changed.
///
/// # Errors
/// [`ModelError::OutputRefused`]; [`ModelError::Io`] naming the folder that cannot be written
/// (permissions, a file where a folder is needed, a read-only or full file system).
pub fn check_model_dir(dir: &Path, extra_files: &[&str], estimated_bytes: u64) -> Result<()> {
    let dir = resolve(dir)?;
    replaceable(&dir, extra_files)?;
    let (parent, name) = split(&dir)?;
    if parent.is_dir() {
        clean_stale(&parent, &name);
    }
    let mut base = parent.clone();
    loop {
        match fs::symlink_metadata(&base) {
            Ok(m) if m.is_dir() || (m.file_type().is_symlink() && base.is_dir()) => break,
            Ok(_) => {
                return Err(ModelError::Io {
                    path: base.display().to_string(),
                    message: "is a file, so no folder can be created inside it".to_owned(),
                });
            }
            Err(e) if absent(&e) => match base.parent() {
                Some(p) if !p.as_os_str().is_empty() => base = p.to_path_buf(),
                _ => base = PathBuf::from("."),
            },
            Err(e) => return Err(io_error(&base, &e)),
        }
    }
    let staging = create_staging(&base, &name)?;
    let probe = staging.path.join("space-probe");
    let result = write_zeros(&probe, estimated_bytes.min(MAX_PROBE_BYTES));
    let _ = fs::remove_dir_all(&staging.path);
    result.map_err(|e| {
        let message = if e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull
        {
            format!(
                "no space left for the model (about {} needed)",
                human_bytes(estimated_bytes)
            )
        } else {
            e.to_string()
        };
        ModelError::Io {
            path: base.display().to_string(),
            message,
        }
    })
}

/// What `dir` holds now.
enum Existing {
    /// Nothing, or an empty folder.
    Nothing,
    /// A complete model made of these files (names inside `dir`).
    Model(Vec<String>),
}

/// `dir`, or the folder a symbolic link at `dir` points to.
fn resolve(dir: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(dir).map_err(|e| ModelError::OutputRefused {
                path: dir.display().to_string(),
                reason: format!("it is a symbolic link that cannot be followed ({e})"),
            })
        }
        _ => Ok(dir.to_path_buf()),
    }
}

/// Whether `dir` may be replaced, and by what.
fn replaceable(dir: &Path, extra_files: &[&str]) -> Result<Existing> {
    let refuse = |reason: String| ModelError::OutputRefused {
        path: dir.display().to_string(),
        reason,
    };
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        // Absent (a file on the way is reported when a folder cannot be made there).
        Err(e) if absent(&e) => return Ok(Existing::Nothing),
        Err(e) => return Err(io_error(dir, &e)),
    };
    if !meta.is_dir() {
        return Err(refuse("it exists and is not a folder".to_owned()));
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, &e))? {
        let entry = entry.map_err(|e| io_error(dir, &e))?;
        names.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.file_type().map_err(|e| io_error(dir, &e))?,
        ));
    }
    if names.is_empty() {
        return Ok(Existing::Nothing);
    }
    if !names.iter().any(|(n, _)| n == MODEL_MANIFEST_FILE) {
        return Err(refuse(
            "it is not a tabveil model directory (it has no model.json)".to_owned(),
        ));
    }
    let saved = SavedModel::load_dir(dir).map_err(|e| {
        refuse(format!(
            "it is not a tabveil model directory: its model.json does not load ({e})"
        ))
    })?;
    let mut own: Vec<String> = saved.parts.keys().map(|p| format!("{p}.json")).collect();
    own.push(MODEL_MANIFEST_FILE.to_owned());
    own.push(PARAMETERS_FILE.to_owned());
    own.push(STAGING_MARKER.to_owned());
    own.extend(extra_files.iter().map(|s| (*s).to_owned()));
    for (name, kind) in &names {
        if !own.contains(name) {
            return Err(refuse(format!(
                "it holds `{}`, which tabveil did not write",
                clip(name)
            )));
        }
        if !kind.is_file() {
            return Err(refuse(format!(
                "its `{}` is not a regular file",
                clip(name)
            )));
        }
    }
    Ok(Existing::Model(names.into_iter().map(|(n, _)| n).collect()))
}

/// Moves the filled staging folder to `dir` (absent or an empty folder).
fn rename_into_place(staging: &Path, dir: &Path) -> Result<()> {
    fs::rename(staging, dir).map_err(|e| io_error(dir, &e))
}

/// Replaces the model at `dir` by `staging`: the old model is marked as tabveil's and moved
/// aside, the new one moved in, then the old one's files are removed by name. Between the two
/// renames `dir` is briefly absent, never half-written; an interruption leaves the old model in
/// a marked staging folder that the next save cleans.
fn swap(staging: &Path, dir: &Path, parent: &Path, name: &str, files: &[String]) -> Result<()> {
    write_new(&dir.join(STAGING_MARKER), MARKER_TEXT.as_bytes()).or_else(|e| {
        // A marker left by an earlier interrupted swap is fine.
        if dir.join(STAGING_MARKER).is_file() {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    let aside = staging_name(parent, name);
    if let Err(e) = fs::rename(dir, &aside) {
        let _ = fs::remove_file(dir.join(STAGING_MARKER));
        return Err(io_error(dir, &e));
    }
    if let Err(e) = fs::rename(staging, dir) {
        let _ = fs::rename(&aside, dir);
        let _ = fs::remove_file(dir.join(STAGING_MARKER));
        return Err(io_error(dir, &e));
    }
    for file in files {
        let _ = fs::remove_file(aside.join(file));
    }
    let _ = fs::remove_file(aside.join(STAGING_MARKER));
    // Fails (and leaves the folder) only if something was added meanwhile.
    let _ = fs::remove_dir(&aside);
    Ok(())
}

/// The parent folder and file name of `dir`.
fn split(dir: &Path) -> Result<(PathBuf, String)> {
    let name = dir
        .file_name()
        .ok_or_else(|| ModelError::OutputRefused {
            path: dir.display().to_string(),
            reason: "it has no folder name".to_owned(),
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

fn staging_prefix(name: &str) -> String {
    format!(".{name}.tmp-tabveil-")
}

fn staging_name(parent: &Path, name: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    parent.join(format!(
        "{}{}-{nanos}",
        staging_prefix(name),
        std::process::id()
    ))
}

fn create_staging(parent: &Path, name: &str) -> Result<StagingDir> {
    let path = staging_name(parent, name);
    fs::create_dir(&path).map_err(|e| io_error(parent, &e))?;
    if let Err(e) = write_new(&path.join(STAGING_MARKER), MARKER_TEXT.as_bytes()) {
        let _ = fs::remove_dir_all(&path);
        return Err(e);
    }
    Ok(StagingDir { path })
}

/// Removes the staging folders of `name` in `parent` that interrupted saves left: only those
/// whose name, marker and dead owner all say they are tabveil's. Errors are ignored (a folder
/// that cannot be removed stays).
fn clean_stale(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefix = staging_prefix(name);
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let marker = path.join(STAGING_MARKER);
        let marked = fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file())
            && fs::read(&marker).is_ok_and(|t| t == MARKER_TEXT.as_bytes());
        if is_dir && marked && owner_gone(pid, &marker) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Whether the process that made a staging folder is gone: by `/proc` where there is one,
/// otherwise by the marker's age.
fn owner_gone(pid: u32, marker: &Path) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if Path::new("/proc/self").exists() {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    fs::metadata(marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_AFTER)
}

/// Whether an error says that a path does not exist (or cannot, a file being on the way).
fn absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// Creates `path` (which must not exist) with `bytes`.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io_error(path, &e))?;
    file.write_all(bytes).map_err(|e| io_error(path, &e))?;
    file.sync_all().map_err(|e| io_error(path, &e))
}

fn write_zeros(path: &Path, bytes: u64) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    let block = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

fn io_error(path: &Path, e: &std::io::Error) -> ModelError {
    ModelError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// A name shortened for a message.
fn clip(name: &str) -> String {
    const MAX: usize = 60;
    if name.chars().count() <= MAX {
        name.to_owned()
    } else {
        let mut s: String = name.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}
