//! Training curves: one or more series over steps, each drawn raw (faint) and smoothed (strong)
//! when smoothing is on, with markers, an optional log scale, and hover values in the curves'
//! own units.

use egui::Color32;
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points, VLine};

use crate::app::theme;
use crate::app::training::PlotOptions;
use crate::core::runs::smooth;

/// One curve: (step, value) points in step order.
pub struct Series {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    pub color: Color32,
    /// Whether the smoothing slider applies (train loss yes, validation loss no).
    pub smoothed: bool,
    /// Drawn with dots: sparse series such as validation loss.
    pub dots: bool,
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

/// Every k-th point, and always the last one, so a 100k-step run draws as fast as a short one.
fn thin(points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let every = points.len().div_ceil(MAX_POINTS);
    let last = points.len() - 1;
    points
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}

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
            let pts: Vec<[f64; 2]> = s
                .points
                .iter()
                .filter(|p| p[1].is_finite())
                .map(|p| [p[0], to_axis(p[1], log)])
                .collect();
            if s.smoothed && options.smoothing > 0.0 && pts.len() > 2 {
                let raw: Vec<f64> = s
                    .points
                    .iter()
                    .filter(|p| p[1].is_finite())
                    .map(|p| p[1])
                    .collect();
                let smoothed: Vec<[f64; 2]> = pts
                    .iter()
                    .zip(smooth(&raw, options.smoothing))
                    .map(|(p, v)| [p[0], to_axis(v, log)])
                    .collect();
                plot_ui.line(
                    // Unnamed: the legend lists the smoothed curve only.
                    Line::new("", PlotPoints::from(thin(pts)))
                        .color(theme::faint(s.color))
                        .allow_hover(false),
                );
                plot_ui.line(
                    Line::new(s.name, PlotPoints::from(thin(smoothed)))
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
                    Line::new(s.name, PlotPoints::from(thin(pts)))
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
    fn thinning_keeps_the_ends_and_at_most_the_limit() {
        let points: Vec<[f64; 2]> = (0..100_001).map(|i| [f64::from(i), 1.0]).collect();
        let thin = super::thin(points);
        assert!(thin.len() <= super::MAX_POINTS + 1, "{}", thin.len());
        assert_eq!(thin.first().map(|p| p[0]), Some(0.0));
        assert_eq!(thin.last().map(|p| p[0]), Some(100_000.0));
    }
}
