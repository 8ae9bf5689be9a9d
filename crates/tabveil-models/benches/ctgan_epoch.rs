//! CTGAN epoch benchmark (filled in later).
fn main() {}
