//! What the GUI benchmarks time: one frame of the real app headless.

use std::time::{Duration, Instant};

use dezgah::app::DezgahApp;
use egui_kittest::Harness;

/// egui's pass plus tessellation: the work the UI thread does per frame.
pub fn timed_frame(harness: &mut Harness<'_, DezgahApp>, frames: &mut Vec<Duration>) {
    let started = Instant::now();
    harness.step();
    let shapes = harness.output().shapes.clone();
    let ppp = harness.output().pixels_per_point;
    let _ = harness.ctx.tessellate(shapes, ppp);
    frames.push(started.elapsed());
}

/// Prints the frame-time line every GUI benchmark reports; returns the slowest frame in ms.
// Each bench compiles this module on its own; browse prints its own figures.
#[allow(dead_code)]
pub fn report(what: &str, frames: &[Duration]) -> f64 {
    let mut sorted: Vec<f64> = frames.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    let max = sorted[sorted.len() - 1];
    println!(
        "{what}: {} frames, median {:.2} ms, p99 {:.2} ms, max {max:.2} ms (goal: no frame over 16 ms)",
        sorted.len(),
        pct(0.5),
        pct(0.99),
    );
    max
}
