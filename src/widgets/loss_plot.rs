//! Training curves: one or more series over steps, each drawn raw (faint) and smoothed (strong)
//! when smoothing is on, with markers, an optional log scale, and hover values in the curves'
//! own units.

use egui::Color32;
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoints, Points, VLine};

use crate::app::theme;
use crate::app::training::PlotOptions;
use crate::core::runs::smooth;
use crate::i18n::I18n;

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

/// A linear axis's tick: as many decimals as the grid's step needs (`2.5`, `3.0`), none for
/// whole steps.
fn linear_tick(value: f64, step: f64) -> String {
    if !(1e-4..1e6).contains(&step) {
        return short(value);
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil() as usize
    };
    // No "-0.0" at the origin.
    let value = if value.abs() < step * 1e-6 {
        0.0
    } else {
        value
    };
    format!("{value:.decimals$}")
}

/// A log axis's tick (the mark is log10 of the value): the round value it stands for, without
/// trailing zeros (`0.05`, `2`, `30`).
fn log_tick(mark: f64) -> String {
    let value = from_axis(mark, true);
    if !(1e-4..1e5).contains(&value) {
        return short(value);
    }
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Grid lines of a log axis at round values: decades, else 1-2-5, else every digit, else
/// every tenth of one, whichever first gives three lines in view.
fn log_marks(input: &egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Vec::new();
    }
    let fine: Vec<f64> = (10..100).map(|m| f64::from(m) / 10.0).collect();
    let digits: Vec<f64> = (1..10).map(f64::from).collect();
    // Mantissas, and the weight of the lines that are not decades.
    let sets: [(&[f64], f64); 4] = [
        (&[1.0], 1.0),
        (&[1.0, 2.0, 5.0], 0.3),
        (&digits, 0.1),
        (&fine, 0.01),
    ];
    let mut marks = Vec::new();
    for (mantissas, step) in sets {
        marks.clear();
        let first = lo.floor() as i32 - 1;
        let last = hi.ceil() as i32 + 1;
        for decade in first..=last {
            for (i, &m) in mantissas.iter().enumerate() {
                let value = m.log10() + f64::from(decade);
                if (lo..=hi).contains(&value) {
                    // Every set starts at 1: its first line is a decade's.
                    let step_size = if i == 0 { 1.0 } else { step };
                    marks.push(egui_plot::GridMark { value, step_size });
                }
            }
        }
        if marks.len() >= 3 {
            break;
        }
    }
    marks
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
    i18n: &I18n,
    height: f32,
    legend: bool,
) {
    let log = options.log_scale;
    let step_label = i18n.tr("training-step");
    let step_word = step_label.clone();
    let mut plot = Plot::new(id)
        .height(height)
        .x_axis_label(step_label)
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| linear_tick(mark.value, mark.step_size))
        .y_axis_formatter(move |mark, _| {
            i18n.localize_number(&if log {
                log_tick(mark.value)
            } else {
                linear_tick(mark.value, mark.step_size)
            })
        })
        .label_formatter(move |pos| {
            let (name, p) = match pos {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
            };
            let value = i18n.localize_number(&short(from_axis(p.y, log)));
            Some(if name.is_empty() {
                format!("{step_word} {:.0}\n{value}", p.x)
            } else {
                format!("{name}\n{step_word} {:.0}\n{value}", p.x)
            })
        });
    if log {
        plot = plot.y_grid_spacer(|input| log_marks(&input));
    }
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
    fn axis_ticks_are_round_and_short() {
        use super::{linear_tick, log_marks, log_tick};
        assert_eq!(linear_tick(2.5, 0.5), "2.5");
        assert_eq!(linear_tick(3.0, 0.5), "3.0");
        assert_eq!(linear_tick(3.0, 1.0), "3");
        assert_eq!(linear_tick(-1e-12, 0.1), "0.0");
        assert_eq!(linear_tick(0.05, 0.01), "0.05");
        assert_eq!(linear_tick(1500.0, 500.0), "1500");
        // A loss between 2.1 and 9: lines at 3, 4, … (not at 10^0.35 = 2.2387…).
        let marks = log_marks(&egui_plot::GridInput {
            bounds: (2.1_f64.log10(), 9.0_f64.log10()),
            base_step_size: 0.01,
        });
        let labels: Vec<String> = marks.iter().map(|m| log_tick(m.value)).collect();
        assert_eq!(labels, ["3", "4", "5", "6", "7", "8", "9"]);
        // Over decades: 1-2-5.
        let marks = log_marks(&egui_plot::GridInput {
            bounds: (0.04_f64.log10(), 12.0_f64.log10()),
            base_step_size: 0.01,
        });
        let labels: Vec<String> = marks.iter().map(|m| log_tick(m.value)).collect();
        assert_eq!(labels, ["0.1", "1", "10"]);
        let marks = log_marks(&egui_plot::GridInput {
            bounds: (2.1_f64.log10(), 2.6_f64.log10()),
            base_step_size: 0.001,
        });
        let labels: Vec<String> = marks.iter().map(|m| log_tick(m.value)).collect();
        assert_eq!(labels, ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]);
    }

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
