//! The checks of [`validate`](crate::validate), one file per area.

pub(crate) mod budget;
pub(crate) mod privacy;
pub(crate) mod schedule;
pub(crate) mod schema;
