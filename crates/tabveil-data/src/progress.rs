//! [`FitProgress`]: how long fits report progress (libraries never print) and can be
//! cancelled.
//!
//! ```
//! use std::ops::ControlFlow;
//! use tabveil_data::FitProgress;
//!
//! struct Log(Vec<String>);
//! impl FitProgress for Log {
//!     fn column_done(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()> {
//!         self.0.push(format!("{done}/{total} {column}"));
//!         ControlFlow::Continue(())
//!     }
//! }
//! ```

use std::ops::ControlFlow;

/// Receives progress while a transformer is fitted, one call per column, from the calling
/// thread. Returning [`ControlFlow::Break`] cancels the fit
/// ([`DataError::Cancelled`](crate::DataError::Cancelled)); columns being fitted finish first.
pub trait FitProgress {
    /// `done` of `total` columns are fitted; `column` is the one that just finished.
    fn column_done(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()>;
}

/// Ignores progress and never cancels.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl FitProgress for NoProgress {
    fn column_done(&mut self, _done: usize, _total: usize, _column: &str) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}
