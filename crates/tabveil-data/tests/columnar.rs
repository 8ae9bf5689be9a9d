//! Columnar round trips (feature `arrow`).
