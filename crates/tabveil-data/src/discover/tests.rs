use tabveil_accountant::{AccountantSpec, PrivacyEvent, PrivacyLedger, epsilon_of};
use tabveil_noise::PrivacyRng;

use super::mechanisms::threshold_for;
use super::*;
use crate::csv_io::{CsvOptions, read_csv};
use crate::datetime;
use crate::error::{DataError, TransformError};
use crate::schema::{ColumnKind, ColumnOrigin, Schema};

fn raw(columns: Vec<(&str, Vec<Option<String>>)>) -> RawTable {
    let (names, cols): (Vec<String>, Vec<_>) =
        columns.into_iter().map(|(n, c)| (n.to_owned(), c)).unzip();
    RawTable::new(names, cols).unwrap()
}

fn text(values: impl IntoIterator<Item = String>) -> Vec<Option<String>> {
    values.into_iter().map(Some).collect()
}

/// Runs a discovery with a fixed noise seed; returns the schema and the ledger.
fn run(
    raw: &RawTable,
    declared: Option<&Schema>,
    epsilon: f64,
    seed: u64,
) -> (Schema, PrivacyLedger, DiscoveryPlan) {
    let budget = DiscoveryBudget::new(epsilon, 1e-6, AccountantSpec::rdp()).unwrap();
    let config = DiscoveryConfig::default();
    let plan = plan_discovery(raw.names(), declared, &budget, &config).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(seed);
    let schema = discover_schema(raw, declared, &plan, &config, &mut ledger, &mut rng).unwrap();
    (schema, ledger, plan)
}

fn kinds() -> Schema {
    Schema::from_json(
        r#"{"name": "t", "target": "city", "positive_class": "Rome", "columns": [
        {"name": "amount", "kind": "continuous"},
        {"name": "city", "kind": "categorical"}
    ]}"#,
    )
    .unwrap()
}

/// 5 000 rows: amount ~ 100 + a spread of ±50, and one extreme row; city with two common
/// values, a value held by 5 rows and one held by a single row.
fn table_with_outliers() -> RawTable {
    let n = 5_000;
    let mut amount: Vec<String> = (0..n - 1)
        .map(|i| format!("{}", 100.0 + ((i * 37) % 101) as f64 - 50.0 + 0.25))
        .collect();
    amount.push("987654.321".into());
    let city: Vec<String> = (0..n)
        .map(|i| match i {
            0 => "Secretville".to_owned(),
            1..=5 => "Smalltown".to_owned(),
            _ if i % 3 == 0 => "Oslo".to_owned(),
            _ => "Rome".to_owned(),
        })
        .collect();
    raw(vec![("amount", text(amount)), ("city", text(city))])
}

#[test]
fn a_unique_category_is_never_released() {
    // τ = 1 + σ·z(δ_τ) with δ_τ = 0.5·1e-6 (one threshold release): a value held by one row
    // passes with probability ≤ 5e-7 per run, a value held by five rows with probability
    // P[N(0, σ²) > τ − 5] ≤ 1e-6 here (σ ≈ 3.7, τ ≈ 19.7). Over these 20 fixed seeds the
    // chance that the test could ever fail is below 3e-5: it is deterministic for the seeds,
    // and a failure would mean the threshold is wrong, not bad luck.
    let raw = table_with_outliers();
    for seed in 0..20 {
        let (schema, _, plan) = run(&raw, Some(&kinds()), 1.0, seed);
        assert!(plan.threshold() > 5.0 + 3.0 * plan.noise_multiplier());
        let city = schema.column("city").unwrap();
        let cats = city.categories().unwrap();
        assert_eq!(cats, ["Oslo", "Rome", "(other)"], "seed {seed}");
        assert_eq!(city.other(), Some("(other)"));
        // The positive class was released, so it is kept.
        assert_eq!(schema.positive_class(), Some("Rome"));
    }
}

#[test]
fn an_extreme_row_is_never_a_bound_and_the_bounds_cover_the_central_mass() {
    let raw = table_with_outliers();
    for seed in 0..20 {
        let (schema, _, _) = run(&raw, Some(&kinds()), 1.0, seed);
        let (lo, hi) = schema.column("amount").unwrap().bounds();
        let (lo, hi) = (lo.unwrap(), hi.unwrap());
        // Exact extremes: 50.25 and 987654.321; central mass: [50.25, 150.25].
        assert_ne!(hi, 987_654.321);
        assert_ne!(lo, 50.25);
        assert!(hi < 1_000.0, "seed {seed}: max {hi}");
        assert!(lo <= 52.0 && hi >= 148.0, "seed {seed}: [{lo}, {hi}]");
        assert!(lo > 0.0, "seed {seed}: min {lo}");
    }
}

#[test]
fn the_ledger_is_the_plan_and_stays_within_the_target() {
    let raw = table_with_outliers();
    for accountant in [AccountantSpec::rdp(), AccountantSpec::pld()] {
        for target in [0.3, 1.0, 3.0] {
            let budget = DiscoveryBudget::new(target, 1e-6, accountant.clone()).unwrap();
            let config = DiscoveryConfig::default();
            let plan = plan_discovery(raw.names(), None, &budget, &config).unwrap();
            let mut ledger = PrivacyLedger::new();
            let mut rng = PrivacyRng::dangerous_seeded(1);
            discover_schema(&raw, None, &plan, &config, &mut ledger, &mut rng).unwrap();
            assert_eq!(ledger.entries(), plan.entries());
            assert_eq!(ledger.entries().len(), 4);
            // The threshold releases carry their additive δ, and it fits the δ share.
            let additive: f64 = ledger
                .entries()
                .iter()
                .filter_map(|e| match *e.event() {
                    PrivacyEvent::GaussianThreshold {
                        noise_multiplier,
                        threshold,
                        ..
                    } => Some(tabveil_accountant::gaussian_threshold_delta(
                        noise_multiplier,
                        threshold,
                    )),
                    _ => None,
                })
                .sum();
            assert!(additive > 0.0 && additive <= 0.5e-6, "{additive}");
            let spent = epsilon_of(&ledger, &accountant, 1e-6).unwrap().epsilon;
            assert!(spent <= target, "{spent} > {target}");
            // The calibration uses the budget: not far below it either.
            assert!(spent > 0.9 * target, "{spent} ≪ {target}");
        }
    }
}

#[test]
fn read_with_the_discovered_schema_maps_rare_values_and_clips_tails() {
    let raw = table_with_outliers();
    let (schema, _, _) = run(&raw, Some(&kinds()), 1.0, 3);
    let mut csv = String::from("amount,city\n");
    csv.push_str("987654.321,Secretville\n100.25,Rome\n");
    let (table, _) = read_csv(csv.as_bytes(), &schema, &CsvOptions::default()).unwrap();
    let city = table.column("city").unwrap();
    let domain = city.domain().unwrap();
    let codes = city.as_categorical().unwrap();
    assert_eq!(domain[codes[0] as usize], "(other)");
    assert_eq!(domain[codes[1] as usize], "Rome");
    let amounts = table.column("amount").unwrap().as_continuous().unwrap();
    assert_eq!(
        Some(amounts[0]),
        schema.column("amount").unwrap().bounds().1
    );
    assert_eq!(amounts[1], 100.25);
}

#[test]
fn kinds_formats_and_nulls_without_a_declared_schema() {
    let n = 4_000;
    let count: Vec<Option<String>> = (0..n).map(|i| Some((i % 40).to_string())).collect();
    let price: Vec<Option<String>> = (0..n)
        .map(|i| (i % 5 != 0).then(|| format!("{}.5", i % 90)))
        .collect();
    let day: Vec<Option<String>> = (0..n)
        .map(|i| Some(format!("2020-{:02}-{:02}", 1 + i % 12, 1 + i % 28)))
        .collect();
    let flag: Vec<Option<String>> = (0..n)
        .map(|i| Some(if i % 2 == 0 { "yes" } else { "no" }.to_owned()))
        .collect();
    let colour: Vec<Option<String>> = (0..n)
        .map(|i| Some(["red", "green", "blue"][i % 3].to_owned()))
        .collect();
    let ids: Vec<Option<String>> = (0..n).map(|i| Some(i.to_string())).collect();
    let raw = raw(vec![
        ("count", count),
        ("price", price),
        ("day", day),
        ("flag", flag),
        ("colour", colour),
        ("user_id", ids),
    ]);
    let (schema, ledger, plan) = run(&raw, None, 2.0, 11);
    assert_eq!(ledger.entries().len(), 10);
    assert!(plan.epsilon() <= 2.0);
    let kind = |c: &str| schema.column(c).unwrap().kind().clone();
    assert!(matches!(
        kind("count"),
        ColumnKind::Continuous { integer: true, .. }
    ));
    assert!(matches!(
        kind("price"),
        ColumnKind::Continuous { integer: false, .. }
    ));
    assert!(schema.column("price").unwrap().is_nullable());
    assert!(matches!(kind("day"), ColumnKind::Datetime { ref format, .. } if format == "%Y-%m-%d"));
    assert!(matches!(kind("flag"), ColumnKind::Boolean { .. }));
    assert_eq!(
        schema.column("colour").unwrap().categories().unwrap(),
        ["blue", "green", "red", "(other)"]
    );
    assert!(matches!(kind("user_id"), ColumnKind::Id));
    let (lo, hi) = schema.column("day").unwrap().bounds();
    let jan = datetime::parse_seconds("2020-01-01", "%Y-%m-%d").unwrap();
    let dec = datetime::parse_seconds("2020-12-28", "%Y-%m-%d").unwrap();
    assert!(lo.unwrap() <= jan + 40.0 * 86_400.0 && hi.unwrap() >= dec - 40.0 * 86_400.0);
    // Every discovered column says so, with its cost.
    let ColumnOrigin::Private(p) = schema.column("count").unwrap().origin() else {
        panic!("count is not marked private");
    };
    assert_eq!(p.mechanisms.len(), 2);
    assert!(p.epsilon_alone > 0.0 && p.epsilon_alone <= 2.0);
    assert!(p.released.iter().any(|r| r == "integer"));
    // The schema round-trips through JSON with its origins and `other` categories.
    let back = Schema::from_json(&schema.to_json().unwrap()).unwrap();
    assert_eq!(back, schema);
    assert!(schema.extra().contains_key("discovery"));
}

#[test]
fn a_tiny_table_keeps_its_columns_with_public_fallbacks() {
    let raw = raw(vec![
        ("x", text((0..12).map(|i| i.to_string()))),
        ("c", text((0..12).map(|i| format!("v{}", i % 2)))),
    ]);
    let declared = Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "x", "kind": "continuous", "integer": true},
        {"name": "c", "kind": "categorical"}]}"#,
    )
    .unwrap();
    let (schema, _, _) = run(&raw, Some(&declared), 0.1, 5);
    assert_eq!(
        schema.column("x").unwrap().bounds(),
        (Some(-1e9), Some(1e9))
    );
    assert_eq!(
        schema.column("c").unwrap().categories().unwrap(),
        ["(other)"]
    );
    for c in schema.columns() {
        let ColumnOrigin::Private(p) = c.origin() else {
            panic!("not private")
        };
        assert!(p.fallback);
    }
}

#[test]
fn declared_fields_are_kept_and_cost_nothing() {
    let raw = table_with_outliers();
    let declared = Schema::from_json(
        r#"{"name": "t", "columns": [
        {"name": "amount", "kind": "continuous", "min": 0, "max": 10},
        {"name": "city", "kind": "categorical", "categories": ["Oslo", "Rome", "x"]}]}"#,
    )
    .unwrap();
    let budget = DiscoveryBudget::new(1.0, 1e-6, AccountantSpec::rdp()).unwrap();
    let plan = plan_discovery(
        raw.names(),
        Some(&declared),
        &budget,
        &DiscoveryConfig::default(),
    )
    .unwrap();
    assert!(plan.is_empty());
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(0);
    let schema = discover_schema(
        &raw,
        Some(&declared),
        &plan,
        &DiscoveryConfig::default(),
        &mut ledger,
        &mut rng,
    )
    .unwrap();
    assert!(ledger.is_empty());
    assert_eq!(schema.columns(), declared.columns());
    // A one-sided declaration keeps its side and discovers the other.
    let declared = Schema::from_json(
        r#"{"name": "t", "columns": [{"name": "amount", "kind": "continuous", "min": 0}]}"#,
    )
    .unwrap();
    let (schema, ledger, _) = run(&raw, Some(&declared), 1.0, 2);
    assert_eq!(ledger.entries().len(), 1);
    let (lo, hi) = schema.column("amount").unwrap().bounds();
    assert_eq!(lo, Some(0.0));
    assert!(hi.unwrap() >= 148.0 && hi.unwrap() < 1_000.0);
}

#[test]
fn a_plan_for_other_columns_is_refused_before_any_release() {
    let raw = table_with_outliers();
    let budget = DiscoveryBudget::new(1.0, 1e-6, AccountantSpec::rdp()).unwrap();
    let config = DiscoveryConfig::default();
    let plan = plan_discovery(&["amount".to_owned()], None, &budget, &config).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(0);
    let err = discover_schema(&raw, None, &plan, &config, &mut ledger, &mut rng).unwrap_err();
    assert!(matches!(
        err,
        DataError::Transform(TransformError::SchemaMismatch { .. })
    ));
    assert!(ledger.is_empty());
}

#[test]
fn a_declared_schema_inferred_from_the_data_is_refused() {
    // Its "public" bounds and categories would be exact values of the rows.
    let declared = kinds().with_inferred_from_data(true);
    let budget = DiscoveryBudget::new(1.0, 1e-6, AccountantSpec::rdp()).unwrap();
    let names = ["amount".to_owned(), "city".to_owned()];
    let err = plan_discovery(
        &names,
        Some(&declared),
        &budget,
        &DiscoveryConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        DataError::Schema(crate::SchemaError::SchemaNotReviewed)
    ));
}

#[test]
fn grid_cells_and_tail_bounds() {
    let g = ValueGrid::log(8, -3, 9);
    assert_eq!(g.len(), 2 * 12 * 8 + 1);
    assert_eq!(g.range(), (-1e9, 1e9));
    // 0 is in the centre cell; values beyond the range in the outermost cells.
    let centre = g.cell_of(0.0);
    assert_eq!(centre, 12 * 8);
    assert_eq!(g.cell_of(-5e12), 0);
    assert_eq!(g.cell_of(5e12), g.len() - 1);
    // Edge 1 = 10^(−3 + 24/8) is the 24th edge after the centre cell's right edge.
    assert_eq!(g.cell_of(1.0), centre + 25);
    assert_eq!(g.cell_of(0.999), centre + 24);
    let mut counts = vec![0.0; g.len()];
    counts[g.cell_of(20.0)] = 100.0;
    counts[g.cell_of(60.0)] = 100.0;
    let (lo, hi) = g.tail_bounds(&counts, 0.005).unwrap();
    // One cell beyond the quantile cells [17.8, 23.7) and [56.2, 75.0).
    assert!((lo - 13.335).abs() < 1e-3, "{lo}");
    assert!((hi - 100.0).abs() < 1e-9, "{hi}");
    assert_eq!(g.tail_bounds(&vec![0.0; g.len()], 0.005), None);
}

/// Rows spread thinly below the surviving cells (each cell under the floor, together 5 % of
/// the rows) widen the lower bound to hold them; pure noise beyond the other side does not
/// move the upper bound.
#[test]
fn thin_tails_beyond_the_floor_widen_the_bounds() {
    let g = ValueGrid::log(8, -3, 9);
    let sigma = 25.0;
    let mut raw = vec![0.0; g.len()];
    // 7 600 rows in [10, 1000): every cell there passes any floor.
    for x in [12.0, 20.0, 40.0, 80.0, 150.0, 300.0, 600.0, 900.0] {
        raw[g.cell_of(x)] += 950.0;
    }
    // 400 rows on 1 … 5 (integers: one cell each on the log grid), 80 per cell.
    for v in 1..=5 {
        raw[g.cell_of(f64::from(v))] += 80.0;
    }
    // Noise-sized values (±σ) just above the data: not a tail.
    let above = g.cell_of(1000.0);
    for (k, n) in [25.0, -20.0, 30.0, -10.0, 15.0, 5.0, -25.0, 20.0]
        .iter()
        .enumerate()
    {
        raw[above + k] += n;
    }
    let floor = 4.0 * sigma;
    let floored: Vec<f64> = raw
        .iter()
        .map(|c| if *c < floor { 0.0 } else { *c })
        .collect();
    let (lo, hi) = g.tail_bounds(&floored, 0.005).unwrap();
    assert!(lo > 5.0, "the floor alone clips the thin tail: {lo}");
    let (wlo, whi) = g
        .tail_bounds_with_thin_tails(&floored, &raw, 0.005, sigma, 8)
        .unwrap();
    assert!(wlo < 1.01 && wlo > 0.5, "{wlo}");
    assert_eq!(whi, hi);
    // Without anything beyond the floor, nothing changes.
    assert_eq!(
        g.tail_bounds_with_thin_tails(&floored, &floored, 0.005, sigma, 8),
        Some((lo, hi))
    );
}

#[test]
fn the_threshold_meets_its_delta() {
    // P[1 + N(0, σ²) > τ] at the returned τ, by the normal tail: ≤ δ_τ.
    for (sigma, d) in [(1.0, 1e-6), (40.0, 1e-9), (3.7, 2.5e-7)] {
        let tau = threshold_for(sigma, d).unwrap();
        let z = (tau - 1.0) / sigma;
        let tail = 0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2);
        assert!(tail <= d && tail > 0.99 * d, "σ {sigma}: {tail} vs {d}");
    }
}

#[test]
fn a_closed_column_has_no_other_category() {
    let raw = table_with_outliers();
    let budget = DiscoveryBudget::new(1.0, 1e-6, AccountantSpec::rdp()).unwrap();
    let config = DiscoveryConfig::default().with_closed(["city"]);
    let plan = plan_discovery(raw.names(), Some(&kinds()), &budget, &config).unwrap();
    let mut ledger = PrivacyLedger::new();
    let mut rng = PrivacyRng::dangerous_seeded(4);
    let schema =
        discover_schema(&raw, Some(&kinds()), &plan, &config, &mut ledger, &mut rng).unwrap();
    let city = schema.column("city").unwrap();
    assert_eq!(city.categories().unwrap(), ["Oslo", "Rome"]);
    assert_eq!(city.other(), None);
}

#[test]
fn noise_weights_shift_the_budget_and_keep_the_total() {
    let raw = table_with_outliers();
    let budget = DiscoveryBudget::new(0.5, 1e-6, AccountantSpec::rdp()).unwrap();
    let equal = DiscoveryConfig::default()
        .with_noise_weights(NoiseWeights::EQUAL)
        .unwrap();
    let even = plan_discovery(raw.names(), Some(&kinds()), &budget, &equal).unwrap();
    let weights = NoiseWeights {
        format: 1.0,
        bounds: 2.0,
        categories: 0.6,
    };
    let config = DiscoveryConfig::default()
        .with_noise_weights(weights)
        .unwrap();
    let shifted = plan_discovery(raw.names(), Some(&kinds()), &budget, &config).unwrap();
    // More of the budget on the categories: a lower threshold.
    assert!(shifted.threshold() < even.threshold());
    // Read through the serialised event: the same for every Gaussian-noise event kind.
    let sigma = |p: &DiscoveryPlan, i: usize| {
        let v = serde_json::to_value(p.entries()[i].event()).unwrap();
        v["noise_multiplier"].as_f64().unwrap()
    };
    assert!((sigma(&shifted, 0) / sigma(&shifted, 1) - 2.0 / 0.6).abs() < 1e-9);
    for plan in [&even, &shifted] {
        let mut ledger = PrivacyLedger::new();
        let mut rng = PrivacyRng::dangerous_seeded(8);
        let cfg = if std::ptr::eq(plan, &shifted) {
            &config
        } else {
            &equal
        };
        discover_schema(&raw, Some(&kinds()), plan, cfg, &mut ledger, &mut rng).unwrap();
        let spent = epsilon_of(&ledger, &AccountantSpec::rdp(), 1e-6)
            .unwrap()
            .epsilon;
        assert!(spent <= 0.5 && spent > 0.45, "{spent}");
    }
    assert!(
        DiscoveryConfig::default()
            .with_noise_weights(NoiseWeights {
                format: 0.0,
                ..weights
            })
            .is_err()
    );
}
