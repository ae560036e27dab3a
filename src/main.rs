//! `dezgah`: no subcommand opens the window; subcommands run headless.

use std::process::ExitCode;

use clap::Parser as _;
use dezgah::app::{DezgahApp, StartOptions};
use dezgah::cli::{Cli, Commands};

/// Training allocates and frees parameter-sized buffers every step; mimalloc reuses them where
/// glibc's allocator returns them to the kernel and faults fresh zeroed pages back in.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(unsafe_code)]
fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    if let Some(Commands::Train(args)) = &cli.command
        && dezgah::cli::train::is_cpu_f32(args)
    {
        // SAFETY: nothing so far has started a thread (parsing and reading a config do not).
        unsafe { dezgah::core::model::set_cpu_defaults() };
        dezgah::core::model::join_compute_pool();
    }
    let result = match &cli.command {
        Some(command) => dezgah::cli::run(&cli, command),
        None => run_gui(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", dezgah::error_line(&*err));
            ExitCode::FAILURE
        }
    }
}

/// The window's icon, the one the .desktop entry names (for desktops that show a window's own).
const ICON_PNG: &[u8] = include_bytes!("../assets/icons/hicolor/256x256/apps/dezgah.png");

fn run_gui(cli: &Cli) -> anyhow::Result<()> {
    let options = StartOptions {
        workspace: cli.workspace.clone(),
        area: cli.area,
        lang: cli.lang,
        ..StartOptions::default()
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_app_id("dezgah")
        .with_title("Dəzgah")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 480.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => log::warn!("window icon: {e}"),
    }
    let native = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "dezgah",
        native,
        Box::new(move |cc| Ok(Box::new(DezgahApp::new(cc, options)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
