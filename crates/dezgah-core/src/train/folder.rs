//! The run folder's life before its first checkpoint: what is refused before the folder is
//! made (so a refusal leaves nothing behind), and how a folder without checkpoints — a run
//! killed early, or left by an older refused run — is started again instead of being a dead end.

use std::path::Path;

use std::sync::atomic::AtomicBool;

use super::{Event, RunConfig, Summary, TrainError, checkpoint, io_err};

/// The files a run writes into its folder; a restart removes them and nothing else (a GUI's
/// `launch.toml`, the lock file and anything a user put there stay).
const RUN_FILES: [&str; 7] = [
    "config.toml",
    "tokenizer.json",
    super::STATUS_FILE,
    "metrics.jsonl",
    "samples.jsonl",
    "log.txt",
    super::STOP_FILE,
];

/// The checks that need no data read and no folder: the tokenizer loads, the data and the base
/// exist, the sequence fits the model's context, the sizes are at least 1. A run refused here
/// has written nothing.
pub fn preflight(cfg: &RunConfig) -> Result<(), TrainError> {
    let tokenizer =
        crate::tokenizer::load(&cfg.tokenizer).map_err(|e| TrainError::Tokenizer(e.to_string()))?;
    if cfg.data.is_empty() {
        return Err(TrainError::NoData("no --data given".into()));
    }
    for path in &cfg.data {
        std::fs::metadata(path).map_err(io_err(path))?;
    }
    if cfg.stage.needs_base() && cfg.init.is_none() {
        return Err(TrainError::Invalid(format!(
            "the {} stage starts from a checkpoint: give --init RUN_OR_CHECKPOINT",
            cfg.stage.name()
        )));
    }
    if cfg.lora.is_some() && cfg.init.is_none() {
        return Err(TrainError::Invalid(
            "LoRA adapts an existing model: give --init RUN_OR_CHECKPOINT".into(),
        ));
    }
    let vocab = tokenizer.get_vocab_size(true);
    let init_dir = cfg
        .init
        .as_deref()
        .map(|p| checkpoint::resolve(p, "best"))
        .transpose()?;
    let model_cfg = match &init_dir {
        Some(dir) => checkpoint::read_config(dir)?,
        None => cfg.model_config(vocab).map_err(TrainError::Invalid)?,
    };
    // In the order the trainer checks, so a run says the same whichever refuses it.
    if vocab > model_cfg.vocab_size {
        return Err(TrainError::Invalid(format!(
            "wrong tokenizer/model pair: the tokenizer has {vocab} tokens but the model has {} embedding rows",
            model_cfg.vocab_size
        )));
    }
    if let Some(dir) = &init_dir
        && let Some(run) = super::run_of(dir)
        && let Ok(theirs) = crate::tokenizer::load(&run.join("tokenizer.json"))
        && theirs.get_vocab(true) != tokenizer.get_vocab(true)
    {
        return Err(TrainError::Invalid(format!(
            "wrong tokenizer/model pair: {} was trained with a different tokenizer ({})",
            dir.display(),
            run.join("tokenizer.json").display()
        )));
    }
    if cfg.optim.seq_len > model_cfg.max_position_embeddings {
        return Err(TrainError::Invalid(format!(
            "sequence length {} is longer than the model's context of {}",
            cfg.optim.seq_len, model_cfg.max_position_embeddings
        )));
    }
    if cfg.optim.batch_size == 0 || cfg.optim.grad_accum == 0 || cfg.optim.seq_len < 2 {
        return Err(TrainError::Invalid(
            "batch size and accumulation must be at least 1, sequence length at least 2".into(),
        ));
    }
    Ok(())
}

/// Whether the run folder holds a checkpoint (a step one or `best`).
pub fn has_checkpoint(run_dir: &Path) -> bool {
    !checkpoint::list(run_dir).is_empty() || run_dir.join("checkpoints").join("best").is_dir()
}

/// Why a new run cannot go into `run_dir`, which already holds one: with checkpoints it can
/// only be resumed; without, it can also be started again with `--restart`.
pub fn already_holds(run_dir: &Path) -> TrainError {
    if has_checkpoint(run_dir) {
        TrainError::Invalid(format!(
            "{} already holds a run; resume it with --resume or choose another folder",
            run_dir.display()
        ))
    } else {
        TrainError::Invalid(format!(
            "{} already holds a run with no checkpoint yet; start it again with --restart, \
             continue it from step 0 with --resume, or choose another folder",
            run_dir.display()
        ))
    }
}

/// Empties a run folder that holds no checkpoint so a new run can start there. A folder with
/// checkpoints is refused: trained weights are never wiped by a flag. The caller holds the
/// folder's lock.
pub fn clear_for_restart(run_dir: &Path) -> Result<(), TrainError> {
    if has_checkpoint(run_dir) {
        let latest = checkpoint::list(run_dir)
            .last()
            .map_or(0, |(step, _)| *step);
        return Err(TrainError::Invalid(format!(
            "{} holds checkpoints (the latest at step {latest}); --restart only starts again a \
             run that has none: continue it with --resume, or delete the folder yourself to \
             start over",
            run_dir.display()
        )));
    }
    for name in RUN_FILES {
        let path = run_dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(&path)(e)),
            _ => {}
        }
    }
    for name in ["data", "checkpoints"] {
        let path = run_dir.join(name);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

/// Drops what a run killed before its first checkpoint logged, for `--resume` to start it
/// again from step 0 with the same configuration (its prepared data is kept).
pub fn clear_logs(run_dir: &Path) -> Result<(), TrainError> {
    for name in ["metrics.jsonl", "samples.jsonl", super::STOP_FILE] {
        let path = run_dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(&path)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// Starts a new run in `run_dir`, first emptying it when it holds a run with no checkpoint
/// (see [`clear_for_restart`]); a missing or empty folder is simply a new run.
pub fn restart(
    run_dir: &Path,
    cfg: &RunConfig,
    sink: &mut dyn FnMut(&Event),
    stop: &AtomicBool,
) -> Result<Summary, TrainError> {
    preflight(cfg)?;
    prepare_restart(run_dir)?;
    super::start(run_dir, cfg, sink, stop)
}

/// The emptying half of [`restart`], for a launcher that writes the run's data into the folder
/// between emptying it and starting the run.
pub fn prepare_restart(run_dir: &Path) -> Result<(), TrainError> {
    if run_dir.is_dir() {
        // A live run is refused here, naming its process.
        let _lock = super::lock::acquire(run_dir)?;
        clear_for_restart(run_dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_clears_only_a_run_without_checkpoints_and_keeps_foreign_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path();
        for name in ["config.toml", "metrics.jsonl", "launch.toml", "notes.txt"] {
            std::fs::write(run.join(name), b"x").expect("write");
        }
        std::fs::create_dir_all(run.join("data")).expect("mkdir");
        std::fs::write(run.join("data/train.tok"), b"x").expect("write");
        assert!(matches!(already_holds(run), TrainError::Invalid(m) if m.contains("--restart")));
        clear_for_restart(run).expect("no checkpoint: cleared");
        assert!(!run.join("config.toml").exists() && !run.join("data").exists());
        assert!(run.join("launch.toml").exists() && run.join("notes.txt").exists());

        std::fs::create_dir_all(run.join("checkpoints/step-0000004")).expect("mkdir");
        std::fs::write(run.join("checkpoints/step-0000004/state.json"), b"{}").expect("write");
        std::fs::write(run.join("config.toml"), b"x").expect("write");
        let err = clear_for_restart(run).expect_err("checkpoints are never wiped");
        assert!(err.to_string().contains("step 4"), "{err}");
        assert!(run.join("checkpoints/step-0000004").is_dir() && run.join("config.toml").exists());
        assert!(matches!(already_holds(run), TrainError::Invalid(m) if !m.contains("--restart")));
    }
}
