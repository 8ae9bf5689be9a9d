//! Placeholder until the transformer lands.
fn main() {}
