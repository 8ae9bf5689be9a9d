//! The plots of the HTML report, drawn with plotters' SVG backend into strings: ε(δ), and ε
//! over the training steps (DP-SGD models) or over the rounds (the marginal model). Text is
//! written as SVG `<text>` and rendered by the browser's fonts (no font library needed).

use plotters::chart::{ChartContext, MeshStyle};
use plotters::coord::CoordTranslate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{delta, eps};

use crate::error::{ReportError, Result};
use crate::types::{DeltaEpsilon, RoundEpsilon, StepEpsilon};

const BLUE: RGBColor = RGBColor(0x1f, 0x4e, 0x9c);
const ORANGE: RGBColor = RGBColor(0xc8, 0x5a, 0x0c);
const GREY: RGBColor = RGBColor(0x70, 0x70, 0x70);
const SIZE: (u32, u32) = (640, 340);

fn svg<F>(plot: &'static str, draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        let err = |message: String| ReportError::Plot { plot, message };
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        draw(&root).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(out)
}

/// ε as a function of δ (log axis), with the report's (δ, ε) marked.
pub(super) fn epsilon_delta(curve: &[DeltaEpsilon], at: DeltaEpsilon) -> Result<String> {
    let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
        return Ok(String::new());
    };
    let (lo, hi) = (first.delta.min(at.delta), last.delta.max(at.delta));
    let top = curve.iter().map(|p| p.epsilon).fold(at.epsilon, f64::max) * 1.1;
    svg("epsilon-delta", |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..top.max(1e-9))
            .map_err(|e| e.to_string())?;
        style_mesh(&mut chart.configure_mesh(), "δ (log scale)", "ε", 8)
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                curve.iter().map(|p| (p.delta, p.epsilon)),
                BLUE.stroke_width(3),
            ))
            .map_err(|e| e.to_string())?
            .label("ε(δ) of this fit")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        chart
            .draw_series(std::iter::once(Circle::new(
                (at.delta, at.epsilon),
                6,
                ORANGE.filled(),
            )))
            .map_err(|e| e.to_string())?
            .label(format!(
                "reported: δ = {}, ε = {}",
                delta(at.delta),
                eps(at.epsilon)
            ))
            .legend(|(x, y)| Circle::new((x + 9, y), 5, ORANGE.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// ε after k training steps, with the target as a dashed line.
pub(super) fn epsilon_steps(points: &[StepEpsilon], target: f64) -> Result<String> {
    let points: Vec<(f64, f64)> = points.iter().map(|p| (p.steps as f64, p.epsilon)).collect();
    epsilon_over(
        "epsilon-steps",
        &points,
        target,
        "training steps",
        "ε spent (preprocessing at step 0)",
    )
}

/// ε after each round of a model fitted in rounds, with the target as a dashed line.
pub(super) fn epsilon_rounds(points: &[RoundEpsilon], target: f64) -> Result<String> {
    let points: Vec<(f64, f64)> = points.iter().map(|p| (p.round as f64, p.epsilon)).collect();
    epsilon_over(
        "epsilon-rounds",
        &points,
        target,
        "rounds",
        "ε spent (one-way histograms at round 0)",
    )
}

/// ε spent along a fit (`points`: (x, ε)), with the target as a dashed line.
fn epsilon_over(
    plot: &'static str,
    points: &[(f64, f64)],
    target: f64,
    x_desc: &str,
    series: &str,
) -> Result<String> {
    let Some(last) = points.last() else {
        return Ok(String::new());
    };
    let right = last.0.max(1.0);
    let top = points.iter().map(|p| p.1).fold(target, f64::max) * 1.12;
    svg(plot, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..right, 0.0..top.max(1e-9))
            .map_err(|e| e.to_string())?;
        style_mesh(&mut chart.configure_mesh(), x_desc, "ε spent", 6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, target), (right, target)],
                8,
                6,
                GREY.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(format!("target ε = {}", super::num(target)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                BLUE.stroke_width(3),
            ))
            .map_err(|e| e.to_string())?
            .label(series)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The axes' style shared by the plots (ε on the y axis).
fn style_mesh<'m, 'a, 'b, X, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, RangedCoordf64, DB>,
    x_desc: &str,
    y_desc: &str,
    x_labels: usize,
) -> &'m mut MeshStyle<'a, 'b, X, RangedCoordf64, DB>
where
    X: Ranged,
    DB: DrawingBackend,
{
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(x_labels)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 16))
        .y_labels(6)
        .y_label_formatter(&two_decimals)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
}

/// The legend box shared by the plots.
fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> std::result::Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(|e| e.to_string())
}

fn two_decimals(v: &f64) -> String {
    format!("{v:.2}")
}
