//! A stand-in synthetic table for the adult example and bench (shared by both through
//! `#[path]`: examples/support is not an example of its own).

use rand::{Rng, SeedableRng};
use tabveil_data::{Column, ColumnData, Schema, Table};

/// A table whose columns are drawn independently, with replacement, from `table`'s columns.
pub fn resample_columns(
    schema: &Schema,
    table: &Table,
    n: usize,
    seed: u64,
) -> Result<Table, Box<dyn std::error::Error>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut columns = Vec::new();
    for column in table.columns() {
        let rows: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..table.n_rows()))
            .collect();
        let col = match column.data() {
            ColumnData::Continuous(v) => Column::continuous_with_nulls(
                column.name(),
                rows.iter()
                    .map(|&i| (!column.is_null(i)).then_some(v[i]))
                    .collect(),
            ),
            ColumnData::Categorical(v) => Column::categorical_with_nulls(
                column.name(),
                rows.iter()
                    .map(|&i| (!column.is_null(i)).then_some(v[i]))
                    .collect(),
            ),
            ColumnData::Id => Column::id(column.name()),
        };
        columns.push(col);
    }
    Ok(Table::new(schema, columns)?)
}
