//! `tabveil._tabveil`: the native module of the `tabveil` Python package (PyO3, abi3 for
//! CPython ≥ 3.9). The Python layer (`python/tabveil/`) wraps it into the documented API:
//! `Synthesizer`, `Schema`, `infer_schema`, `evaluate`, `accountant`, `datasets`.
//!
//! Tables cross the boundary through the Arrow PyCapsule interface (pyo3-arrow), checked
//! against the schema by tabveil-data's Arrow reader, exactly as CSV files are. Fitting,
//! sampling and evaluating run with the GIL released; progress and Ctrl-C reach the fit through
//! a callback that takes the GIL for a moment after each step and epoch.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accountant;
mod datasets;
mod errors;
mod evaluate;
mod frames;
mod progress;
mod schema;
mod synth;

use pyo3::prelude::*;

/// mimalloc, as the command line uses: Candle allocates a fresh buffer for every operation, and
/// glibc's malloc serves the large ones with mmap and page faults, which slows training down
/// (measured in README: the Python side-by-side). It serves the Rust side of the module only;
/// Python objects and the Arrow buffers Python hands in keep their own allocators (Arrow
/// buffers are freed through their release callbacks, by whoever allocated them).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The native module.
#[pymodule]
fn _tabveil(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<schema::PySchema>()?;
    m.add_class::<synth::PyConfig>()?;
    m.add_class::<synth::PyFitted>()?;
    m.add_class::<evaluate::PyEvaluation>()?;
    m.add_function(wrap_pyfunction!(schema::infer_schema, m)?)?;
    m.add_function(wrap_pyfunction!(frames::read_table, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(accountant::epsilon, m)?)?;
    m.add_function(wrap_pyfunction!(accountant::sigma, m)?)?;
    m.add_function(wrap_pyfunction!(accountant::rdp, m)?)?;
    m.add_function(wrap_pyfunction!(datasets::adult, m)?)?;
    m.add_function(wrap_pyfunction!(datasets::adult_schema, m)?)?;
    m.add_function(wrap_pyfunction!(datasets::adult_license, m)?)?;
    Ok(())
}
