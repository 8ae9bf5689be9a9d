//! [`TableSource`]: a table read in batches, in one or more passes, so that a consumer that
//! only accumulates statistics (the marginal model's counts) needs memory for one batch at a
//! time, not for the table.
//!
//! A [`Table`] in memory is a source of one batch (borrowed, not copied); a Parquet or Arrow
//! IPC file is a source of one checked table per bounded batch of rows
//! (`ColumnarSource`, feature `arrow`).
//!
//! ```
//! use tabveil_data::{ColumnSchema, Schema, Table, TableSource, Value};
//!
//! let schema = Schema::new("t", vec![ColumnSchema::continuous("x", Some(0.0), Some(9.0))])?;
//! let table = Table::from_rows(&schema, &[vec![Value::Number(1.0)], vec![Value::Number(2.0)]])?;
//! let mut source = &table;
//! let mut rows = 0;
//! for batch in source.batches()? {
//!     rows += batch?.n_rows();
//! }
//! assert_eq!(rows, 2);
//! # Ok::<(), tabveil_data::DataError>(())
//! ```

use std::borrow::Cow;

use crate::error::Result;
use crate::table::Table;

/// The batches of one pass over a [`TableSource`], in row order.
pub type Batches<'a> = Box<dyn Iterator<Item = Result<Cow<'a, Table>>> + 'a>;

/// A table delivered as a sequence of checked batches (tables of the same schema whose rows,
/// concatenated in order, are the table's rows).
///
/// Every call of [`batches`](TableSource::batches) starts a new pass from the first row, so
/// a consumer may read the table more than once; each pass must yield the same rows in the
/// same order.
pub trait TableSource {
    /// Starts a pass over the table.
    ///
    /// # Errors
    /// The source's errors when the pass cannot start (a file that cannot be opened); errors
    /// met during the pass (a cell that does not fit the schema) are items of the iterator.
    fn batches(&mut self) -> Result<Batches<'_>>;
}

/// A table in memory: one batch, borrowed.
impl TableSource for &Table {
    fn batches(&mut self) -> Result<Batches<'_>> {
        let table: &Table = self;
        Ok(Box::new(std::iter::once(Ok(Cow::Borrowed(table)))))
    }
}
