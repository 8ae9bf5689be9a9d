//! Demo data for tabveil, embedded in the crate so that the `tabveil demo` command and the
//! Python package's `tabveil.datasets.adult()` run anywhere, without a download.
//!
//! Only one table today: [`adult`], the UCI Adult (Census Income) data. The CSV files are
//! embedded gzipped (3.5 MB of CSV, 0.4 MB compressed) and decompressed on request.
//!
//! The files in this crate's `data/` are copies of the repository's canonical `data/adult/`,
//! made by `scripts/data/pack_demo_data.sh`; the test `tests/shipped.rs` checks that they
//! match byte for byte once decompressed.
//!
//! ```
//! let train = tabveil_datasets::adult::train_csv()?;
//! assert!(train.starts_with(b"age,"));
//! assert!(tabveil_datasets::adult::SCHEMA_JSON.contains("education_num"));
//! # Ok::<(), tabveil_datasets::DatasetError>(())
//! ```

#![deny(missing_docs)]

use std::io::Read;

use flate2::read::GzDecoder;

/// Why embedded data could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// The embedded gzip stream did not decompress (a corrupted build, never user data).
    #[error("the embedded {file} did not decompress: {source}")]
    Decompress {
        /// Which embedded file.
        file: &'static str,
        /// What the decompressor said.
        #[source]
        source: std::io::Error,
    },
}

fn gunzip(file: &'static str, bytes: &[u8]) -> Result<Vec<u8>, DatasetError> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|source| DatasetError::Decompress { file, source })?;
    Ok(out)
}

/// The UCI Adult (Census Income) data: Becker & Kohavi (1996), CC BY 4.0 ([`adult::LICENSE`]).
///
/// 26 049 training rows and a holdout of 6 512 real rows that no training uses, with the
/// public schema whose bounds and category lists come from the data's codebook (see the
/// repository's `docs/schema.md`).
pub mod adult {
    use super::{DatasetError, gunzip};

    /// The public schema (tabveil's schema JSON).
    pub const SCHEMA_JSON: &str = include_str!("../data/adult/schema.json");
    /// Provenance and licence of the data (Markdown).
    pub const LICENSE: &str = include_str!("../data/adult/LICENSE.md");
    const TRAIN_GZ: &[u8] = include_bytes!("../data/adult/train.csv.gz");
    const HOLDOUT_GZ: &[u8] = include_bytes!("../data/adult/holdout.csv.gz");

    /// The training rows as CSV bytes (with a header line).
    ///
    /// # Errors
    /// [`DatasetError::Decompress`] only if the embedded stream is corrupted.
    pub fn train_csv() -> Result<Vec<u8>, DatasetError> {
        gunzip("adult/train.csv.gz", TRAIN_GZ)
    }

    /// The holdout rows as CSV bytes (with a header line).
    ///
    /// # Errors
    /// [`DatasetError::Decompress`] only if the embedded stream is corrupted.
    pub fn holdout_csv() -> Result<Vec<u8>, DatasetError> {
        gunzip("adult/holdout.csv.gz", HOLDOUT_GZ)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupted_stream_is_a_typed_error() {
        let err = gunzip("x.gz", b"not gzip at all").err();
        assert!(matches!(
            err,
            Some(DatasetError::Decompress { file: "x.gz", .. })
        ));
    }

    #[test]
    fn both_splits_decompress_to_csv_with_the_same_header() -> Result<(), DatasetError> {
        let train = adult::train_csv()?;
        let holdout = adult::holdout_csv()?;
        let header = |b: &[u8]| b.split(|&c| c == b'\n').next().map(<[u8]>::to_vec);
        assert_eq!(header(&train), header(&holdout));
        // 26 049 rows + header, 6 512 rows + header (the sizes the docs state).
        assert_eq!(train.iter().filter(|&&c| c == b'\n').count(), 26_050);
        assert_eq!(holdout.iter().filter(|&&c| c == b'\n').count(), 6_513);
        Ok(())
    }
}
