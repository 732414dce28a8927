//! The cost-vs-size plot, as SVG (plotters' SVG backend: no font or image libraries).

use plotters::prelude::*;
use std::path::Path;

/// One line of the plot: `(store size, microseconds per call)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend.
    pub name: String,
    /// `(x, y)` points, x ascending.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A named series.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
        }
    }
}

/// The axis range covering every point with a margin (for log axes: a factor), or `None` when
/// there is no positive point.
pub fn bounds(series: &[Series]) -> Option<((f64, f64), (f64, f64))> {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite());
    let mut b: Option<((f64, f64), (f64, f64))> = None;
    for &(x, y) in pts {
        b = Some(match b {
            None => ((x, x), (y, y)),
            Some(((x0, x1), (y0, y1))) => ((x0.min(x), x1.max(x)), (y0.min(y), y1.max(y))),
        });
    }
    b.map(|((x0, x1), (y0, y1))| ((x0 / 2.0, x1 * 2.0), (y0 / 2.0, y1 * 2.0)))
}

/// Draws `series` on log-log axes into the SVG file `path`.
pub fn draw(path: &Path, title: &str, series: &[Series]) -> Result<(), String> {
    let ((x0, x1), (y0, y1)) = bounds(series).ok_or("nothing to plot")?;
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("keys in the namespace / namespaces in the store")
        .y_desc("µs per call (median)")
        .x_label_formatter(&|x| crate::report::grouped(x.round() as u64))
        .y_label_formatter(&|y| crate::report::significant(*y))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, s) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_cover_positive_points_with_margin() {
        let s = [
            Series::new("a", vec![(10.0, 2.0), (1000.0, 4.0)]),
            Series::new("b", vec![(100.0, 1.0), (0.0, 9.0)]),
        ];
        assert_eq!(bounds(&s), Some(((5.0, 2000.0), (0.5, 8.0))));
        assert_eq!(bounds(&[Series::new("c", vec![])]), None);
    }
}
