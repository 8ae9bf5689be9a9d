//! The two plots of the HTML report, drawn with plotters' SVG backend into strings: ε(δ) and ε
//! over the training steps. Text is written as SVG `<text>` and rendered by the browser's
//! fonts (no font library needed).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{delta, eps};

use crate::error::{ReportError, Result};
use crate::types::{DeltaEpsilon, StepEpsilon};

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
        chart
            .configure_mesh()
            .x_desc("δ (log scale)")
            .y_desc("ε")
            .x_labels(8)
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.0e}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 15))
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// ε after k training steps, with the target as a dashed line.
pub(super) fn epsilon_steps(points: &[StepEpsilon], target: f64) -> Result<String> {
    let Some(last) = points.last() else {
        return Ok(String::new());
    };
    let right = (last.steps as f64).max(1.0);
    let top = points.iter().map(|p| p.epsilon).fold(target, f64::max) * 1.12;
    svg("epsilon-steps", |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..right, 0.0..top.max(1e-9))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("training steps")
            .y_desc("ε spent")
            .x_labels(6)
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
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
                points.iter().map(|p| (p.steps as f64, p.epsilon)),
                BLUE.stroke_width(3),
            ))
            .map_err(|e| e.to_string())?
            .label("ε spent (preprocessing at step 0)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 15))
            .draw()
            .map_err(|e| e.to_string())
    })
}
