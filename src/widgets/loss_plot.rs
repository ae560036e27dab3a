//! Training curves: one or more series over steps, each drawn raw (faint) and smoothed (strong)
//! when smoothing is on, with markers, an optional log scale, and hover values in the curves'
//! own units.

use egui::Color32;
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points, VLine};

use crate::app::theme;
use crate::app::training::PlotOptions;
use crate::core::runs::smooth;

/// One curve: (step, value) points in step order, already thinned (see [`metric_series`]).
pub struct Series {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    /// The smoothed curve at the same steps; the raw one is then drawn faint behind it.
    pub smoothed: Option<Vec<[f64; 2]>>,
    pub color: Color32,
    /// Drawn with dots: sparse series such as validation loss.
    pub dots: bool,
}

fn thin_keep(len: usize) -> impl Fn(usize) -> bool {
    let every = len.div_ceil(MAX_POINTS).max(1);
    let last = len.saturating_sub(1);
    move |i| i.is_multiple_of(every) || i == last
}

/// A dense curve (a value at every logged step): at most [`MAX_POINTS`] points (every k-th
/// and the last), and with `smoothing` > 0 the smoothed curve, computed over every point and
/// sampled at the same steps.
pub fn dense_series(
    steps: &[f64],
    values: &[f64],
    smoothing: f64,
) -> (Vec<[f64; 2]>, Option<Vec<[f64; 2]>>) {
    let keep = thin_keep(values.len());
    let sample = |ys: &[f64]| -> Vec<[f64; 2]> {
        steps
            .iter()
            .zip(ys)
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, (&x, &y))| [x, y])
            .collect()
    };
    let smoothed =
        (smoothing > 0.0 && values.len() > 2).then(|| sample(&smooth(values, smoothing)));
    (sample(values), smoothed)
}

/// A sparse curve (validation loss, DPO rewards), thinned the same way.
pub fn sparse_series(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let keep = thin_keep(points.len());
    points
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, p)| *p)
        .collect()
}

/// A marked point, e.g. the best checkpoint.
pub struct Marker {
    pub name: String,
    pub step: f64,
    pub value: f64,
    pub color: Color32,
}

/// Points a curve draws at most; longer runs are thinned (smoothing still sees every point).
const MAX_POINTS: usize = 4000;

fn to_axis(value: f64, log: bool) -> f64 {
    if log { value.max(1e-12).log10() } else { value }
}

fn from_axis(value: f64, log: bool) -> f64 {
    if log { 10f64.powf(value) } else { value }
}

fn short(value: f64) -> String {
    let a = value.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{value:.2e}")
    } else if a >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.4}")
    }
}

/// Draws the plot; `step_label` names the x axis.
#[allow(clippy::too_many_arguments)]
pub fn curves_ui(
    ui: &mut egui::Ui,
    id: &str,
    series: Vec<Series>,
    markers: Vec<Marker>,
    options: PlotOptions,
    step_label: &str,
    height: f32,
    legend: bool,
) {
    let log = options.log_scale;
    let step_word = step_label.to_owned();
    let mut plot = Plot::new(id)
        .height(height)
        .x_axis_label(step_label)
        .allow_scroll(false)
        .y_axis_formatter(move |mark, _| short(from_axis(mark.value, log)))
        .label_formatter(move |pos| {
            let (name, p) = match pos {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
            };
            let value = short(from_axis(p.y, log));
            Some(if name.is_empty() {
                format!("{step_word} {:.0}\n{value}", p.x)
            } else {
                format!("{name}\n{step_word} {:.0}\n{value}", p.x)
            })
        });
    if legend {
        plot = plot.legend(Legend::default());
    }
    plot.show(ui, |plot_ui| {
        for s in series {
            let axis = |pts: Vec<[f64; 2]>| -> Vec<[f64; 2]> {
                pts.into_iter()
                    .map(|p| [p[0], to_axis(p[1], log)])
                    .collect()
            };
            let pts = axis(s.points);
            if let Some(smoothed) = s.smoothed {
                plot_ui.line(
                    // Unnamed: the legend lists the smoothed curve only.
                    Line::new("", PlotPoints::from(pts))
                        .color(theme::faint(s.color))
                        .allow_hover(false),
                );
                plot_ui.line(
                    Line::new(s.name, PlotPoints::from(axis(smoothed)))
                        .color(s.color)
                        .width(2.0),
                );
            } else if s.dots {
                plot_ui.line(
                    Line::new("", PlotPoints::from(pts.clone()))
                        .color(s.color)
                        .width(1.5)
                        .allow_hover(false),
                );
                plot_ui.points(
                    Points::new(s.name, PlotPoints::from(pts))
                        .color(s.color)
                        .radius(2.5),
                );
            } else {
                plot_ui.line(
                    Line::new(s.name, PlotPoints::from(pts))
                        .color(s.color)
                        .width(1.5),
                );
            }
        }
        for m in markers {
            plot_ui.vline(VLine::new("", m.step).color(theme::faint(m.color)));
            plot_ui.points(
                Points::new(m.name, vec![[m.step, to_axis(m.value, log)]])
                    .shape(MarkerShape::Diamond)
                    .color(m.color)
                    .radius(6.0)
                    .filled(true),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_curves_are_thinned_keeping_the_ends_and_smoothing_every_point() {
        let steps: Vec<f64> = (1..=100_001).map(f64::from).collect();
        let loss: Vec<f64> = (1..=100_001)
            .map(|i| if i % 2 == 0 { 1.0 } else { 3.0 })
            .collect();
        let (points, smoothed) = super::dense_series(&steps, &loss, 0.9);
        assert!(points.len() <= super::MAX_POINTS + 1, "{}", points.len());
        assert_eq!(points.first().map(|p| p[0]), Some(1.0));
        assert_eq!(points.last().map(|p| p[0]), Some(100_001.0));
        let smoothed = smoothed.expect("smoothed");
        assert_eq!(smoothed.len(), points.len());
        // Every point went into the average: it sits between the two values, near 2.
        assert!(smoothed.iter().skip(10).all(|p| (p[1] - 2.0).abs() < 0.2));
        let val: Vec<[f64; 2]> = (1..=100).map(|i| [f64::from(i) * 1000.0, 2.0]).collect();
        assert_eq!(super::sparse_series(&val).len(), 100);
        assert_eq!(super::dense_series(&steps, &loss, 0.0).1, None);
    }
}
