//! Progress of a fit on stderr: indicatif bars (preprocessing by column, training by epoch with
//! the ε spent so far) on a terminal, a few plain lines otherwise, nothing with `--quiet`.
//! Colour only on a terminal and only when `NO_COLOR` is not set.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tabveil::models::{EpochReport, Progress, StepReport};

/// How the command talks on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Terminal {
    /// `--quiet`: no progress, no notes.
    pub(crate) quiet: bool,
    /// stderr is a terminal: draw bars.
    pub(crate) bars: bool,
    /// Colour is allowed.
    pub(crate) colour: bool,
}

impl Terminal {
    /// The terminal as it is, with `--quiet` applied.
    pub(crate) fn detect(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Terminal {
            quiet,
            bars: tty && !quiet,
            colour: tty && !no_colour,
        }
    }

    /// Writes a line on stderr unless quiet.
    pub(crate) fn note(&self, line: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{}", crate::sanitize::text(line));
        }
    }

    /// Writes a line on stderr even when quiet (warnings that must be seen).
    pub(crate) fn warn(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}", crate::sanitize::text(line));
    }
}

/// A [`Progress`] that draws the fit.
pub(crate) struct FitProgress {
    terminal: Terminal,
    target_epsilon: Option<f64>,
    preprocessing: Option<ProgressBar>,
    training: Option<ProgressBar>,
    epochs: usize,
    /// What the model's epoch reports count: epochs, or the marginal model's rounds.
    unit: &'static str,
    start: Instant,
    last_line_epoch: usize,
}

impl FitProgress {
    /// Progress of a fit of `epochs` epochs, private with `target_epsilon` or not. A model
    /// without epochs (`epochs` 0: the marginal model) reports rounds, up to the number each
    /// report gives.
    pub(crate) fn new(terminal: Terminal, epochs: usize, target_epsilon: Option<f64>) -> Self {
        FitProgress {
            terminal,
            target_epsilon,
            preprocessing: None,
            training: None,
            epochs,
            unit: if epochs == 0 { "rounds" } else { "epochs" },
            start: Instant::now(),
            last_line_epoch: 0,
        }
    }

    /// Clears the bars.
    pub(crate) fn finish(&mut self) {
        for bar in [self.preprocessing.take(), self.training.take()]
            .into_iter()
            .flatten()
        {
            bar.finish_and_clear();
        }
    }

    fn bar(&self, len: u64, unit: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let template = if self.terminal.colour {
            format!(
                "{{prefix:>13.cyan.bold}} [{{bar:30.cyan/blue}}] {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}})"
            )
        } else {
            format!("{{prefix:>13}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} ({{elapsed}})")
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }

    /// Starts the training bar of `len` epochs or rounds, once.
    fn training_bar(&mut self, len: usize) {
        if self.training.is_none() {
            let bar = self.bar(len as u64, self.unit);
            bar.set_prefix("training");
            bar.set_message(self.epsilon_message(None));
            self.training = Some(bar);
        }
    }

    fn epsilon_message(&self, spent: Option<f64>) -> String {
        match (spent, self.target_epsilon) {
            (Some(s), Some(t)) => format!("ε spent {s:.3} of {t}"),
            (Some(s), None) => format!("ε spent {s:.3}"),
            (None, Some(t)) => format!("ε target {t}"),
            (None, None) => "no privacy".to_owned(),
        }
    }
}

impl Progress for FitProgress {
    fn preprocessing(&mut self, done: usize, total: usize, column: &str) -> ControlFlow<()> {
        if self.terminal.bars {
            if self.preprocessing.is_none() {
                let bar = self.bar(total as u64, "columns");
                bar.set_prefix("preprocessing");
                self.preprocessing = Some(bar);
            }
            if let Some(bar) = &self.preprocessing {
                bar.set_position(done as u64);
                bar.set_message(column.to_owned());
                if done == total {
                    bar.finish_and_clear();
                }
            }
        } else if done == total {
            self.terminal.note(&format!(
                "preprocessing: {total} columns in {:.1} s",
                self.start.elapsed().as_secs_f64()
            ));
        }
        ControlFlow::Continue(())
    }

    fn step(&mut self, report: &StepReport) -> ControlFlow<()> {
        if self.terminal.bars {
            self.training_bar(self.epochs);
            if let Some(bar) = &self.training
                && report.step.is_multiple_of(10)
            {
                bar.tick();
            }
        }
        ControlFlow::Continue(())
    }

    fn epoch(&mut self, report: &EpochReport) -> ControlFlow<()> {
        let message = self.epsilon_message(report.epsilon_spent);
        if self.terminal.bars {
            // A model without steps (the marginal model) reports its rounds only here.
            self.training_bar(report.epochs);
        }
        if let Some(bar) = &self.training {
            bar.set_length(report.epochs as u64);
            bar.set_position(report.epoch as u64);
            bar.set_message(message);
        } else if !self.terminal.bars {
            // About ten lines for the whole fit, plus the last epoch.
            let every = report.epochs.div_ceil(10).max(1);
            if report.epoch >= self.last_line_epoch + every || report.epoch == report.epochs {
                self.last_line_epoch = report.epoch;
                let unit = if self.unit == "rounds" {
                    "round"
                } else {
                    "epoch"
                };
                self.terminal.note(&format!(
                    "training: {unit} {}/{}, {message} ({:.0} s)",
                    report.epoch,
                    report.epochs,
                    self.start.elapsed().as_secs_f64()
                ));
            }
        }
        ControlFlow::Continue(())
    }
}
