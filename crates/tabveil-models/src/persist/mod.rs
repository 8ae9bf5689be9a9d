//! The saved-model format, shared by every model of this crate.
//!
//! A saved model is a set of named JSON *parts* (configuration, schema, transformer, condition
//! frequencies, training record, ledger…) and named `f32` tensors (parameters and buffers),
//! with a checksum over both. It has two encodings with the same content and checksum:
//!
//! - **bytes** ([`SavedModel::to_bytes`]): one safetensors file; its metadata holds
//!   `format`, `format_version`, `model`, `checksum` and each part as `part.<name>`;
//! - **directory** ([`SavedModel::write_into`], placed by [`save_model_dir`]): `model.json` (format, version, kind, checksum,
//!   part names), one `<name>.json` per part, and `parameters.safetensors` with the tensors
//!   (in sorted-name order).
//!
//! Loading checks the format and version, the kind, the checksum (so any change of content —
//! a flipped bit in a weight included — is caught), then each model checks every part and
//! tensor against its configuration; every failure is a typed error, never a panic.
//!
//! What a saved model holds is public or differentially private: parameters of networks trained
//! with DP-SGD (post-processing), the transformer fitted from noisy statistics, the noisy
//! condition frequencies, the ledger. In non-private mode it holds what SDV's model holds
//! (statistics of the data: no privacy claim). It never holds real rows.

mod checksum;
mod dir;
mod parts;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::Dtype;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::registry::ModelKind;

pub use dir::{STAGING_MARKER, StagingDir, check_model_dir, save_model_dir};

/// The format name written in every saved model.
pub(crate) const FORMAT: &str = "tabveil-model";
/// The format version this build writes and reads.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// The file every saved model directory holds: its manifest (format, version, kind,
/// checksum, part names).
pub const MODEL_MANIFEST_FILE: &str = "model.json";
const PARAMETERS_FILE: &str = "parameters.safetensors";

/// The content of a saved model (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SavedModel {
    pub(crate) kind: ModelKind,
    pub(crate) parts: BTreeMap<String, String>,
    pub(crate) tensors: BTreeMap<String, HostTensor>,
}

/// A tensor on the host: shape and row-major `f32` values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostTensor {
    pub(crate) shape: Vec<usize>,
    pub(crate) values: Vec<f32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    format_version: u32,
    model: String,
    checksum: String,
    parts: Vec<String>,
}

impl SavedModel {
    pub(crate) fn new(kind: ModelKind) -> Self {
        SavedModel {
            kind,
            parts: BTreeMap::new(),
            tensors: BTreeMap::new(),
        }
    }

    /// Adds a JSON part.
    pub(crate) fn put_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let json = serde_json::to_string(value)
            .map_err(|_| ModelError::Internal("a model part does not serialise"))?;
        self.parts.insert(name.to_owned(), json);
        Ok(())
    }

    /// Reads a JSON part.
    pub(crate) fn json<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<T> {
        let text = self
            .parts
            .get(name)
            .ok_or_else(|| ModelError::corrupt(format!("part `{name}` is missing")))?;
        serde_json::from_str(text)
            .map_err(|e| ModelError::corrupt(format!("part `{name}` is malformed: {e}")))
    }

    /// Takes a tensor, checking its shape.
    pub(crate) fn take_tensor(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let t = self
            .tensors
            .remove(name)
            .ok_or_else(|| ModelError::ParameterMismatch {
                name: name.to_owned(),
                reason: "missing".into(),
            })?;
        if t.shape != shape {
            return Err(ModelError::ParameterMismatch {
                name: name.to_owned(),
                reason: format!("shape {:?}, expected {shape:?}", t.shape),
            });
        }
        Ok(t.values)
    }

    /// Errors if tensors are left after a model took all of its own.
    pub(crate) fn expect_no_more_tensors(&self) -> Result<()> {
        match self.tensors.keys().next() {
            Some(name) => Err(ModelError::ParameterMismatch {
                name: name.clone(),
                reason: "not a parameter of this model".into(),
            }),
            None => Ok(()),
        }
    }

    /// The checksum of the content.
    fn checksum(&self) -> u64 {
        let mut h = checksum::Fnv64::new();
        h.field(b"model", self.kind.as_str().as_bytes());
        for (name, text) in &self.parts {
            h.field(name.as_bytes(), text.as_bytes());
        }
        for (name, t) in &self.tensors {
            h.field(b"tensor", name.as_bytes());
            for d in &t.shape {
                h.write(&(*d as u64).to_le_bytes());
            }
            h.write(&(t.values.len() as u64).to_le_bytes());
            for v in &t.values {
                h.write(&v.to_le_bytes());
            }
        }
        h.finish()
    }

    /// The model as one safetensors blob.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut metadata = BTreeMap::new();
        metadata.insert("format".to_owned(), FORMAT.to_owned());
        metadata.insert(
            "format_version".to_owned(),
            MODEL_FORMAT_VERSION.to_string(),
        );
        metadata.insert("model".to_owned(), self.kind.as_str().to_owned());
        metadata.insert("checksum".to_owned(), format!("{:016x}", self.checksum()));
        for (name, text) in &self.parts {
            metadata.insert(format!("part.{name}"), text.clone());
        }
        self.safetensors(Some(metadata))
    }

    /// Reads the blob of [`SavedModel::to_bytes`].
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (tensors, metadata) = read_safetensors(bytes)?;
        let metadata = metadata.ok_or_else(|| ModelError::corrupt("no tabveil metadata"))?;
        let get = |key: &str| {
            metadata
                .get(key)
                .ok_or_else(|| ModelError::corrupt(format!("metadata `{key}` is missing")))
        };
        check_format(get("format")?, get("format_version")?)?;
        let kind = parse_kind(get("model")?)?;
        let expected = parse_checksum(get("checksum")?)?;
        let mut parts = BTreeMap::new();
        for (key, value) in &metadata {
            if let Some(name) = key.strip_prefix("part.") {
                parts.insert(name.to_owned(), value.clone());
            } else if !matches!(
                key.as_str(),
                "format" | "format_version" | "model" | "checksum"
            ) {
                return Err(ModelError::corrupt(format!("unknown metadata `{key}`")));
            }
        }
        SavedModel {
            kind,
            parts,
            tensors,
        }
        .verified(expected)
    }

    /// Writes the directory form into a fresh staging folder (see [`save_model_dir`]).
    pub(crate) fn write_into(&self, staging: &StagingDir) -> Result<()> {
        for (name, text) in &self.parts {
            staging.write(&format!("{name}.json"), text.as_bytes())?;
        }
        staging.write(PARAMETERS_FILE, &self.safetensors(None)?)?;
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            format_version: MODEL_FORMAT_VERSION,
            model: self.kind.as_str().to_owned(),
            checksum: format!("{:016x}", self.checksum()),
            parts: self.parts.keys().cloned().collect(),
        };
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|_| ModelError::Internal("the manifest does not serialise"))?;
        staging.write(MODEL_MANIFEST_FILE, json.as_bytes())
    }

    /// Reads the directory form.
    pub(crate) fn load_dir(dir: &Path) -> Result<Self> {
        let manifest_text = read_file(&dir.join(MODEL_MANIFEST_FILE))?;
        let manifest_text = String::from_utf8(manifest_text)
            .map_err(|_| ModelError::corrupt("model.json is not UTF-8"))?;
        #[derive(Deserialize)]
        struct Version {
            format: Option<String>,
            format_version: Option<serde_json::Value>,
        }
        let version: Version = serde_json::from_str(&manifest_text)
            .map_err(|e| ModelError::corrupt(format!("model.json is malformed: {e}")))?;
        check_format(
            version.format.as_deref().unwrap_or(""),
            &version
                .format_version
                .map(|v| v.to_string())
                .unwrap_or_default(),
        )?;
        let manifest: Manifest = serde_json::from_str(&manifest_text)
            .map_err(|e| ModelError::corrupt(format!("model.json is malformed: {e}")))?;
        let kind = parse_kind(&manifest.model)?;
        let expected = parse_checksum(&manifest.checksum)?;
        let mut parts = BTreeMap::new();
        for name in &manifest.parts {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ModelError::corrupt(format!("bad part name `{name}`")));
            }
            let bytes = read_file(&dir.join(format!("{name}.json")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| ModelError::corrupt(format!("{name}.json is not UTF-8")))?;
            parts.insert(name.clone(), text);
        }
        let (tensors, _) = read_safetensors(&read_file(&dir.join(PARAMETERS_FILE))?)?;
        SavedModel {
            kind,
            parts,
            tensors,
        }
        .verified(expected)
    }

    /// Errors unless the model is of `kind`.
    pub(crate) fn expect_kind(&self, kind: ModelKind) -> Result<()> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(ModelError::WrongModelKind {
                expected: kind.as_str(),
                found: self.kind.as_str().to_owned(),
            })
        }
    }

    /// The model, if its content matches the checksum `expected`.
    fn verified(self, expected: u64) -> Result<Self> {
        let found = self.checksum();
        if found == expected {
            Ok(self)
        } else {
            Err(ModelError::ChecksumMismatch { expected, found })
        }
    }

    /// The safetensors encoding, written here rather than by `safetensors::serialize` so that
    /// the bytes are deterministic: header keys sorted (the crate writes its metadata from a
    /// `HashMap`), tensors stored in sorted-name order, header padded with spaces to a multiple
    /// of 8 bytes. The result is checked by reading it back with the `safetensors` crate.
    fn safetensors(&self, metadata: Option<BTreeMap<String, String>>) -> Result<Vec<u8>> {
        let mut header = serde_json::Map::new();
        if let Some(metadata) = metadata {
            let map: serde_json::Map<String, serde_json::Value> = metadata
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            header.insert("__metadata__".into(), serde_json::Value::Object(map));
        }
        let mut offset = 0usize;
        for (name, t) in &self.tensors {
            let elements: usize = t.shape.iter().product();
            if elements != t.values.len() {
                return Err(ModelError::Internal(
                    "a tensor's shape does not match its data",
                ));
            }
            let end = offset + 4 * elements;
            header.insert(
                name.clone(),
                serde_json::json!({
                    "dtype": "F32",
                    "shape": t.shape,
                    "data_offsets": [offset, end],
                }),
            );
            offset = end;
        }
        let mut text = serde_json::to_string(&header)
            .map_err(|_| ModelError::Internal("the safetensors header does not serialise"))?;
        while text.len() % 8 != 0 {
            text.push(' ');
        }
        let mut out = Vec::with_capacity(8 + text.len() + offset);
        out.extend_from_slice(&(text.len() as u64).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        for t in self.tensors.values() {
            for v in &t.values {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        safetensors::SafeTensors::deserialize(&out)
            .map_err(|_| ModelError::Internal("the safetensors encoding does not read back"))?;
        Ok(out)
    }
}

/// The kind of model a saved blob holds, without loading it.
///
/// # Errors
/// As loading: a blob that is not a tabveil model of a supported version.
pub fn saved_model_kind(bytes: &[u8]) -> Result<ModelKind> {
    Ok(SavedModel::from_bytes(bytes)?.kind)
}

type Tensors = BTreeMap<String, HostTensor>;

fn read_safetensors(bytes: &[u8]) -> Result<(Tensors, Option<HashMap<String, String>>)> {
    let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| ModelError::corrupt(format!("not a valid safetensors file: {e}")))?;
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| ModelError::corrupt(format!("not a valid safetensors file: {e}")))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.iter() {
        if view.dtype() != Dtype::F32 {
            return Err(ModelError::ParameterMismatch {
                name: name.to_owned(),
                reason: format!("dtype {:?}, expected F32", view.dtype()),
            });
        }
        let values = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.insert(
            name.to_owned(),
            HostTensor {
                shape: view.shape().to_vec(),
                values,
            },
        );
    }
    Ok((tensors, metadata.metadata().clone()))
}

fn check_format(format: &str, version: &str) -> Result<()> {
    if format != FORMAT {
        return Err(ModelError::corrupt(format!(
            "not a tabveil model (format `{format}`)"
        )));
    }
    let found: u32 = version
        .parse()
        .map_err(|_| ModelError::corrupt(format!("bad format version `{version}`")))?;
    if found != MODEL_FORMAT_VERSION {
        return Err(ModelError::UnsupportedFormat {
            found,
            supported: MODEL_FORMAT_VERSION,
        });
    }
    Ok(())
}

fn parse_kind(name: &str) -> Result<ModelKind> {
    ModelKind::from_name(name).ok_or_else(|| ModelError::corrupt(format!("unknown model `{name}`")))
}

fn parse_checksum(text: &str) -> Result<u64> {
    if text.len() != 16 {
        return Err(ModelError::corrupt(format!("bad checksum `{text}`")));
    }
    u64::from_str_radix(text, 16).map_err(|_| ModelError::corrupt(format!("bad checksum `{text}`")))
}

fn io_error(path: &Path, e: &std::io::Error) -> ModelError {
    ModelError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads a model file: a regular file only (a FIFO or `/dev/zero` in a model folder would
/// block or never end).
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(ModelError::Io {
            path: path.display().to_string(),
            message: "not a regular file".to_owned(),
        });
    }
    std::fs::read(path).map_err(|e| io_error(path, &e))
}

#[cfg(test)]
mod tests;
