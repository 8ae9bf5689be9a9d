//! Plots drawn with plotters' SVG backend into strings (inline SVG for the HTML page).
//!
//! Without plotters' `ttf` feature text is laid out with estimated glyph sizes and written as
//! SVG `<text>`, which the browser renders with its own fonts: no system font library needed.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{AssociationMatrices, ColumnDetail, Distribution};
use crate::error::{EvalError, Result};
use crate::leakage::DcrSummary;

/// Colour of the real data.
pub(super) const REAL: RGBColor = RGBColor(0x1f, 0x4e, 0x9c);
/// Colour of the synthetic data.
pub(super) const SYNTHETIC: RGBColor = RGBColor(0xe8, 0x7a, 0x1d);
/// At most this many categories are drawn (the most frequent ones); the rest are summed.
const MAX_CATEGORIES: usize = 16;

fn plot_error(plot: &str) -> impl Fn(String) -> EvalError + '_ {
    move |message| EvalError::Plot {
        plot: plot.to_owned(),
        message,
    }
}

/// Runs `draw` on an SVG canvas of `size` and returns the SVG text.
fn svg<F>(name: &str, size: (u32, u32), draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| plot_error(name)(e.to_string()))?;
        draw(&root).map_err(plot_error(name))?;
        root.present()
            .map_err(|e| plot_error(name)(e.to_string()))?;
    }
    Ok(out)
}

/// Real-vs-synthetic distribution of one column.
pub(super) fn distribution(detail: &ColumnDetail) -> Result<String> {
    let title = format!(
        "{} — {:?} {}",
        detail.column,
        detail.shape_metric,
        detail
            .shape_score
            .map_or_else(|| "n/a".to_owned(), |s| format!("{:.3}", s))
    );
    match &detail.distribution {
        Distribution::Histogram {
            edges,
            real,
            synthetic,
        } => histogram(&detail.column, &title, edges, real, synthetic),
        Distribution::Categories {
            labels,
            real,
            synthetic,
        } => categories(&detail.column, &title, labels, real, synthetic),
    }
}

fn histogram(
    name: &str,
    title: &str,
    edges: &[f64],
    real: &[f64],
    synthetic: &[f64],
) -> Result<String> {
    let (Some(&lo), Some(&hi)) = (edges.first(), edges.last()) else {
        return Ok(String::new());
    };
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || edges.len() != real.len() + 1
        || edges.len() != synthetic.len() + 1
    {
        return Ok(String::new());
    }
    let top = real
        .iter()
        .chain(synthetic)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    svg(name, (420, 260), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(5)
            .y_labels(4)
            .y_desc("share")
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(|e| e.to_string())?;
        outlines(
            &mut chart,
            edges,
            &[(real, REAL, "real"), (synthetic, SYNTHETIC, "synthetic")],
            0.18,
        )
    })
}

/// Draws each histogram (shares over `edges`) as a filled outline of its colour, with a legend.
fn outlines<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    edges: &[f64],
    series: &[(&[f64], RGBColor, &str)],
    fill: f64,
) -> std::result::Result<(), String> {
    for &(shares, colour, label) in series {
        if shares.is_empty() {
            continue;
        }
        let points = step_points(edges, shares);
        chart
            .draw_series(AreaSeries::new(points.clone(), 0.0, colour.mix(fill)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
            });
    }
    legend(chart)
}

/// The legend box of the plots, upper right.
fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>) -> std::result::Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| e.to_string())
}

/// The outline of a histogram: (edge, share) steps.
fn step_points(edges: &[f64], shares: &[f64]) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(2 * shares.len() + 2);
    for (i, &s) in shares.iter().enumerate() {
        points.push((edges[i], s));
        points.push((edges[i + 1], s));
    }
    points
}

fn categories(
    name: &str,
    title: &str,
    labels: &[String],
    real: &[f64],
    synthetic: &[f64],
) -> Result<String> {
    // The most frequent categories (in either table), the others summed into one bar.
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (real[a].max(synthetic[a]), real[b].max(synthetic[b]));
        y.total_cmp(&x).then(a.cmp(&b))
    });
    let mut bars: Vec<(String, f64, f64)> = order
        .iter()
        .take(MAX_CATEGORIES)
        .map(|&i| (labels[i].clone(), real[i], synthetic[i]))
        .collect();
    if order.len() > MAX_CATEGORIES {
        let rest = &order[MAX_CATEGORIES..];
        bars.push((
            format!("{} others", rest.len()),
            rest.iter().map(|&i| real[i]).sum(),
            rest.iter().map(|&i| synthetic[i]).sum(),
        ));
    }
    let top = bars
        .iter()
        .map(|b| b.1.max(b.2))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let n = bars.len();
    if n == 0 {
        return Ok(String::new());
    }
    svg(name, (420, 260), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(70)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..n as f64, 0.0..top)
            .map_err(|e| e.to_string())?;
        let names: Vec<String> = bars.iter().map(|b| truncate(&b.0, 14)).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(4)
            .y_desc("share")
            .y_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let style = ("sans-serif", 10)
            .into_font()
            .transform(FontTransform::Rotate90)
            .color(&BLACK);
        for (i, name) in names.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            root.draw(&Text::new(name.clone(), (px + 4, py + 4), style.clone()))
                .map_err(|e| e.to_string())?;
        }
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let x = i as f64;
                Rectangle::new([(x + 0.1, 0.0), (x + 0.5, b.1)], REAL.filled())
            }))
            .map_err(|e| e.to_string())?
            .label("real")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], REAL.filled()));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let x = i as f64;
                Rectangle::new([(x + 0.5, 0.0), (x + 0.9, b.2)], SYNTHETIC.filled())
            }))
            .map_err(|e| e.to_string())?
            .label("synthetic")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], SYNTHETIC.filled()));
        legend(&mut chart)
    })
}

/// One association heatmap (values in [−1, 1]; blank cells undefined).
pub(super) fn heatmap(matrices: &AssociationMatrices, synthetic: bool) -> Result<String> {
    let values = if synthetic {
        &matrices.synthetic
    } else {
        &matrices.real
    };
    let n = matrices.columns.len();
    if n == 0 {
        return Ok(String::new());
    }
    let title = if synthetic { "synthetic" } else { "real" };
    let names: Vec<String> = matrices.columns.iter().map(|c| truncate(c, 16)).collect();
    let size = (140 + 24 * n as u32).max(300);
    svg(title, (size, size), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(110)
            .y_label_area_size(110)
            .build_cartesian_2d(0.0..n as f64, 0.0..n as f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .draw()
            .map_err(|e| e.to_string())?;
        let down = ("sans-serif", 11)
            .into_font()
            .transform(FontTransform::Rotate90)
            .color(&BLACK);
        let left = ("sans-serif", 11)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (i, name) in names.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            root.draw(&Text::new(name.clone(), (px + 5, py + 4), down.clone()))
                .map_err(|e| e.to_string())?;
            let (qx, qy) = chart.backend_coord(&(0.0, (n - 1 - i) as f64 + 0.5));
            root.draw(&Text::new(name.clone(), (qx - 4, qy), left.clone()))
                .map_err(|e| e.to_string())?;
        }
        let cells = (0..n).flat_map(|i| (0..n).map(move |j| (i, j)));
        chart
            .draw_series(cells.map(|(i, j)| {
                let colour = values
                    .get(i)
                    .and_then(|row| row.get(j))
                    .copied()
                    .flatten()
                    .map_or(RGBColor(0xee, 0xee, 0xee), diverging);
                // Row i is drawn from the top.
                let y = (n - 1 - i) as f64;
                Rectangle::new([(j as f64, y), (j as f64 + 1.0, y + 1.0)], colour.filled())
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Blue (−1) — white (0) — red (+1).
pub(super) fn diverging(v: f64) -> RGBColor {
    let v = v.clamp(-1.0, 1.0);
    let (r, g, b) = if v >= 0.0 {
        (1.0, 1.0 - 0.75 * v, 1.0 - 0.8 * v)
    } else {
        (1.0 + 0.85 * v, 1.0 + 0.55 * v, 1.0)
    };
    let byte = |x: f64| (x.clamp(0.0, 1.0) * 255.0).round() as u8;
    RGBColor(byte(r), byte(g), byte(b))
}

/// DCR histograms: synthetic → training (size-matched) and synthetic → holdout.
pub(super) fn dcr_histogram(dcr: &DcrSummary) -> Result<String> {
    let h = &dcr.histogram;
    let (Some(&lo), Some(&hi)) = (h.edges.first(), h.edges.last()) else {
        return Ok(String::new());
    };
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || h.train.len() + 1 != h.edges.len()
    {
        return Ok(String::new());
    }
    let total = |c: &[u64]| c.iter().sum::<u64>().max(1) as f64;
    let shares = |c: &[u64]| -> Vec<f64> {
        let t = total(c);
        c.iter().map(|&x| x as f64 / t).collect()
    };
    let (train, holdout) = (shares(&h.train), shares(&h.holdout));
    let top = train
        .iter()
        .chain(&holdout)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let train_label = if holdout.is_empty() {
        "synthetic → training"
    } else {
        "synthetic → training (size-matched)"
    };
    svg("DCR", (640, 300), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Distance to closest real record (Gower)",
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("distance to the closest record")
            .y_desc("share of synthetic rows")
            .y_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(|e| e.to_string())?;
        outlines(
            &mut chart,
            &h.edges,
            &[
                (&train, REAL, train_label),
                (&holdout, SYNTHETIC, "synthetic → holdout"),
            ],
            0.15,
        )
    })
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
