//! Issue 12, item 5: rows in chunks (`sample_chunks`, `sample_conditional_chunks`) are exactly
//! the rows of `sample(n)` / `sample_conditional(n)` for the same seed, whatever the chunk size,
//! so that any number of rows can be written with memory for one chunk.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use tabveil_data::{CsvWriter, Schema, Table};
use tabveil_models::{
    Condition, Ctgan, ModelError, NoProgress, Privacy, Synthesizer, Tvae, TvaeConfig,
};

use common::{small, tiny};

/// The tables as one CSV text (ids and all), for comparing row by row.
fn csv<'a>(schema: &Schema, tables: impl IntoIterator<Item = &'a Table>) -> String {
    let mut w = CsvWriter::new(Vec::new(), schema).unwrap();
    for t in tables {
        w.write_table(t).unwrap();
    }
    String::from_utf8(w.finish().unwrap()).unwrap()
}

fn check<M: Synthesizer>(
    m: &M,
    chunks: impl Fn(usize, usize) -> Vec<Result<Table, ModelError>>,
    conditional: impl Fn(usize, usize) -> Vec<Result<Table, ModelError>>,
) {
    let schema = m.schema().unwrap().clone();
    let condition = [Condition::new("c", "a")];
    for n in [0, 1, 499, 500, 1234] {
        let whole = m.sample(n, 11).unwrap();
        let expected = csv(&schema, [&whole]);
        for chunk_rows in [1, 7, 500, 1000, 5000] {
            let parts: Vec<Table> = chunks(n, chunk_rows)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert!(
                parts
                    .iter()
                    .all(|t| t.n_rows() <= chunk_rows && t.n_rows() > 0)
            );
            assert_eq!(
                parts.len(),
                n.div_ceil(chunk_rows),
                "n {n}, chunks of {chunk_rows}"
            );
            assert_eq!(
                csv(&schema, &parts),
                expected,
                "n {n}, chunks of {chunk_rows}"
            );
        }
        let whole = m.sample_conditional(n, &condition, 11).unwrap();
        let expected = csv(&schema, [&whole]);
        for chunk_rows in [1, 50, 1000] {
            let parts: Vec<Table> = conditional(n, chunk_rows)
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(
                csv(&schema, &parts),
                expected,
                "conditional n {n}, chunks of {chunk_rows}"
            );
        }
    }
}

#[test]
fn issue12_ctgan_chunks_are_exactly_sample_for_any_chunk_size() {
    let (schema, table) = tiny();
    let mut m = Ctgan::new(small(Privacy::NonPrivate));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    let condition = [Condition::new("c", "a")];
    check(
        &m,
        |n, c| m.sample_chunks(n, 11, c).unwrap().collect(),
        |n, c| {
            m.sample_conditional_chunks(n, &condition, 11, c)
                .unwrap()
                .collect()
        },
    );
}

#[test]
fn issue12_tvae_chunks_are_exactly_sample_for_any_chunk_size() {
    let (schema, table) = tiny();
    let config = TvaeConfig::new(Privacy::NonPrivate)
        .with_epochs(2)
        .with_batch_size(60)
        .with_dims(vec![16], vec![16])
        .with_embedding_dim(8)
        .check()
        .unwrap();
    let mut m = Tvae::new(config);
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    let condition = [Condition::new("c", "a")];
    check(
        &m,
        |n, c| m.sample_chunks(n, 11, c).unwrap().collect(),
        |n, c| {
            m.sample_conditional_chunks(n, &condition, 11, c)
                .unwrap()
                .collect()
        },
    );
}

#[test]
fn issue12_bad_conditions_fail_before_any_chunk() {
    let (schema, table) = tiny();
    let mut m = Ctgan::new(small(Privacy::NonPrivate));
    m.fit(&table, &schema, &mut NoProgress).unwrap();
    assert!(matches!(
        m.sample_conditional_chunks(5, &[], 1, 100),
        Err(ModelError::NoConditions)
    ));
    assert!(
        m.sample_conditional_chunks(5, &[Condition::new("nope", "a")], 1, 100)
            .is_err()
    );
    let twice = [Condition::new("c", "a"), Condition::new("c", "b")];
    assert!(matches!(
        m.sample_conditional_chunks(5, &twice, 1, 100),
        Err(ModelError::DuplicateCondition { .. })
    ));
    assert!(
        Ctgan::new(small(Privacy::NonPrivate))
            .sample_chunks(5, 1, 100)
            .is_err()
    );
}
