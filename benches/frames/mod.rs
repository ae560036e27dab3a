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
