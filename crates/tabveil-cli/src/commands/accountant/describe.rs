//! The wording the `accountant` subcommands share in their text output.

use std::io::{StdoutLock, Write};

use serde::Serialize;
use tabveil::accountant::{
    AccountantKind, AccountantSpec, BoundKind, Neighbouring, RdpOrders, RdpOrdersPreset,
};

/// Above this ε the printed guarantee is vacuous in practice, and the output says so.
pub(super) const VACUOUS_EPSILON: f64 = 50.0;

/// One line saying that a guarantee this weak protects nobody.
pub(super) fn write_vacuous_note(out: &mut impl Write, epsilon: f64) -> std::io::Result<()> {
    if epsilon > VACUOUS_EPSILON {
        writeln!(
            out,
            "note: ε above {VACUOUS_EPSILON} gives no meaningful protection (an observer's odds \
             about any row may change by a factor up to e^ε)"
        )?;
    }
    Ok(())
}

/// The name of an RDP order set, for the output.
pub(super) fn orders_name(orders: &RdpOrders) -> &'static str {
    orders.preset_name().map_or("custom", RdpOrdersPreset::name)
}

/// One line naming the accountant and its settings (and the best RDP order, when known).
pub(super) fn describe_method(spec: &AccountantSpec, optimal_order: Option<f64>) -> String {
    match spec.kind {
        AccountantKind::Rdp => {
            let mut s = format!(
                "rdp (Rényi DP of the sampled Gaussian, {} orders, converted by Balle et al. 2020)",
                orders_name(&spec.rdp_orders)
            );
            if let Some(a) = optimal_order {
                s.push_str(&format!("; best order α = {a}"));
            }
            s
        }
        AccountantKind::Pld => format!(
            "pld (privacy loss distributions, pessimistic connect-the-dots, interval {}; max over add and remove)",
            spec.pld_config.discretisation_interval()
        ),
        AccountantKind::Gdp => {
            "gdp (central-limit Gaussian DP, as Opacus' GaussianAccountant)".to_owned()
        }
    }
}

/// Prints `report` on standard output: one line of JSON with `json`, else its text by `text`.
///
/// # Errors
/// Errors of writing.
pub(super) fn print_report<R: Serialize>(
    json: bool,
    report: &R,
    text: impl FnOnce(&mut StdoutLock<'static>, &R) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
    } else {
        text(&mut out, report)?;
    }
    Ok(())
}

/// The lines every result ends its method with: the accountant (with the best RDP order,
/// when known), whether ε is an upper bound, and the neighbouring relation.
pub(super) fn write_method(
    out: &mut impl Write,
    spec: &AccountantSpec,
    optimal_order: Option<f64>,
) -> std::io::Result<()> {
    writeln!(out, "accountant: {}", describe_method(spec, optimal_order))?;
    writeln!(out, "bound: {}", describe_bound(spec.kind.bound()))?;
    writeln!(out, "neighbouring relation: {}", Neighbouring::AddRemoveOne)
}

/// Whether ε is an upper bound, in words.
pub(super) fn describe_bound(bound: BoundKind) -> &'static str {
    match bound {
        BoundKind::UpperBound => "upper bound on ε",
        BoundKind::Approximation => "approximation, NOT an upper bound: the true ε may be larger",
    }
}
