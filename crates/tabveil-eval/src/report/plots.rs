//! Plots drawn with plotters' SVG backend.
