//! CPU time (user + system, all threads, from `/proc/self/stat`) per discriminator step,
//! plain vs DP, in alternating blocks: the cost of each step in core-milliseconds, which other
//! processes competing for the cores disturb much less than wall time. Complements the wall
//! times of `dp_step.rs` on a shared machine. Linux only; prints one line per round.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo bench -p tabveil-sgd --bench dp_step_cpu`.
//!
//! With `-- --only plain` or `-- --only dp` (and optionally `--steps N`) it runs 200 (N) steps
//! of one kind and prints the peak
//! resident memory of the process (`VmHWM`), to compare the memory of the two steps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    reason = "a measurement program: prints its results, aborts on failure"
)]

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::Steps;

/// utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields[11].parse().unwrap();
    let stime: u64 = fields[12].parse().unwrap();
    utime + stime
}

/// Peak resident set size of this process in MiB (`VmHWM` in /proc/self/status).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

fn main() {
    // Clock ticks per second: USER_HZ, 100 on Linux.
    const TICKS_PER_SECOND: f64 = 100.0;
    const STEPS: usize = 60;
    const ROUNDS: usize = 5;
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--only") {
        let kind = args.get(pos + 1).map(String::as_str).unwrap_or("");
        let n: usize = args
            .iter()
            .position(|a| a == "--steps")
            .and_then(|p| args.get(p + 1))
            .map_or(200, |v| v.parse().unwrap());
        let mut steps = Steps::new();
        let before = peak_rss_mib();
        let t = Instant::now();
        for _ in 0..n {
            match kind {
                "plain" => steps.plain(),
                "dp" => steps.dp(),
                "dp_noise_in_step" => {
                    steps.set_noise_prefetch(false);
                    steps.dp()
                }
                other => panic!("--only plain|dp|dp_noise_in_step, not {other:?}"),
            }
        }
        println!(
            "{kind}: peak RSS {:.1} MiB (after setup {before:.1} MiB), {:.2} ms/step wall",
            peak_rss_mib(),
            t.elapsed().as_secs_f64() * 1e3 / n as f64
        );
        return;
    }
    let mut steps = Steps::new();
    for _ in 0..10 {
        steps.plain();
        steps.dp();
    }
    println!("round  plain_cpu_ms  dp_cpu_ms  cpu_ratio  plain_wall_ms  dp_wall_ms  wall_ratio");
    let (mut sum_plain, mut sum_dp) = (0.0, 0.0);
    for round in 0..ROUNDS {
        let (c0, t0) = (cpu_ticks(), Instant::now());
        for _ in 0..STEPS {
            steps.plain();
        }
        let (plain_cpu, plain_wall) = (cpu_ticks() - c0, t0.elapsed());
        let (c1, t1) = (cpu_ticks(), Instant::now());
        for _ in 0..STEPS {
            steps.dp();
        }
        // Let the noise drawn ahead finish before the next plain block.
        std::thread::sleep(Duration::from_millis(20));
        let dp_cpu = cpu_ticks() - c1;
        let dp_wall = t1.elapsed() - Duration::from_millis(20);
        let per = |ticks: u64| ticks as f64 / TICKS_PER_SECOND * 1e3 / STEPS as f64;
        let wall = |d: Duration| d.as_secs_f64() * 1e3 / STEPS as f64;
        sum_plain += per(plain_cpu);
        sum_dp += per(dp_cpu);
        println!(
            "{round:>5}  {:>12.2}  {:>9.2}  {:>9.3}  {:>13.2}  {:>10.2}  {:>10.3}",
            per(plain_cpu),
            per(dp_cpu),
            per(dp_cpu) / per(plain_cpu),
            wall(plain_wall),
            wall(dp_wall),
            wall(dp_wall) / wall(plain_wall)
        );
    }
    println!("overall cpu ratio {:.3}", sum_dp / sum_plain);
}
