//! The schema's public constraints, honoured by every model (CTGAN, TVAE, the marginal model)
//! through the shared sampler: adult's education ↔ education_num code (public: UCI's
//! `adult.names`), an inequality and a conditional range, composed with conditional
//! sampling, kept by a saved model, and the typed error when the constraint is too rarely met.
//!
//! Each model is fitted briefly (non-private) on the first 3 000 rows of the adult training
//! split; `--nocapture` prints the share of rows meeting the education code without the
//! constraint.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]
#![allow(
    clippy::print_stdout,
    reason = "the share without the constraint is printed"
)]

#[allow(dead_code, reason = "this file uses part of the shared module")]
mod adult;

use tabveil_data::{Cell, Constraint, CsvOptions, Schema, Table, read_csv_path};
use tabveil_models::{
    Condition, Ctgan, CtganConfig, Marginal, MarginalConfig, ModelError, NoProgress, Privacy, Tvae,
    TvaeConfig,
};

/// education → education_num, from the UCI documentation (typed here, not read from the
/// schema under test).
const CODES: [(&str, f64); 16] = [
    ("Preschool", 1.0),
    ("1st-4th", 2.0),
    ("5th-6th", 3.0),
    ("7th-8th", 4.0),
    ("9th", 5.0),
    ("10th", 6.0),
    ("11th", 7.0),
    ("12th", 8.0),
    ("HS-grad", 9.0),
    ("Some-college", 10.0),
    ("Assoc-voc", 11.0),
    ("Assoc-acdm", 12.0),
    ("Bachelors", 13.0),
    ("Masters", 14.0),
    ("Prof-school", 15.0),
    ("Doctorate", 16.0),
];

const ROWS: usize = 2_000;

/// The adult schema with the education code (`data/adult/schema_constraints.json`) and the
/// first 3 000 training rows.
fn adult_constrained() -> (Schema, Table) {
    let dir = adult::root().join("data/adult");
    let schema = Schema::from_path(dir.join("schema_constraints.json")).unwrap();
    let (train, _) = read_csv_path(dir.join("train.csv"), &schema, &CsvOptions::default()).unwrap();
    let rows: Vec<usize> = (0..3_000).collect();
    (schema, train.select_rows(&rows).unwrap())
}

/// The same schema without constraints.
fn plain(schema: &Schema) -> Schema {
    schema.clone().with_constraints(Vec::new()).unwrap()
}

/// The constrained schema plus `hours_per_week <= age` and `hours_per_week in [35, 100]
/// when sex = Male`.
fn more(schema: &Schema) -> Schema {
    let mut constraints = schema.constraints().to_vec();
    constraints.push(Constraint::inequality("hours_per_week", "age", false));
    constraints.push(
        Constraint::conditional_range("hours_per_week", Some(35.0), None, "sex", ["Male"])
            .named("men work 35 h or more"),
    );
    schema.clone().with_constraints(constraints).unwrap()
}

/// The labels of a categorical column (`None`: null), by the schema's categories.
fn labels(table: &Table, column: &str) -> Vec<Option<String>> {
    let (schema, _) = adult::adult();
    let cats = schema.column(column).unwrap().categories().unwrap();
    let col = table.column(column).unwrap();
    let codes = col.as_categorical().unwrap();
    (0..table.n_rows())
        .map(|r| (!col.is_null(r)).then(|| cats[codes[r] as usize].clone()))
        .collect()
}

fn numbers(table: &Table, column: &str) -> Vec<f64> {
    table
        .column(column)
        .unwrap()
        .as_continuous()
        .unwrap()
        .to_vec()
}

/// The share of rows whose education_num is the code of their education.
fn share_with_the_code(table: &Table) -> f64 {
    let education = labels(table, "education");
    let codes = numbers(table, "education_num");
    let ok = education
        .iter()
        .zip(&codes)
        .filter(|(e, c)| {
            e.as_deref()
                .and_then(|e| CODES.iter().find(|(name, _)| *name == e))
                .is_some_and(|(_, code)| code == *c)
        })
        .count();
    ok as f64 / table.n_rows() as f64
}

/// Builds an unfitted model.
type Make = Box<dyn Fn() -> Box<dyn tabveil_models::DynSynthesizer>>;

fn models() -> Vec<(&'static str, Make)> {
    vec![
        (
            "ctgan",
            Box::new(|| {
                Box::new(Ctgan::new(
                    CtganConfig::new(Privacy::NonPrivate)
                        .with_epochs(2)
                        .with_batch_size(100)
                        .with_dims(vec![32, 32], vec![32, 32])
                        .with_embedding_dim(16)
                        .with_seed(3)
                        .check()
                        .unwrap(),
                ))
            }),
        ),
        (
            "tvae",
            Box::new(|| {
                Box::new(Tvae::new(
                    TvaeConfig::new(Privacy::NonPrivate)
                        .with_epochs(3)
                        .with_batch_size(100)
                        .with_dims(vec![32], vec![32])
                        .with_embedding_dim(16)
                        .with_seed(3)
                        .check()
                        .unwrap(),
                ))
            }),
        ),
        (
            "marginal",
            Box::new(|| {
                let mut config = MarginalConfig::new(Privacy::NonPrivate).with_seed(3);
                // A few rounds: enough for a model with some pairs, fast in a test.
                config.rounds = Some(6);
                Box::new(Marginal::new(config.check().unwrap()))
            }),
        ),
    ]
}

#[test]
fn every_model_honours_the_adult_education_code_inequalities_and_ranges() {
    let (schema, train) = adult_constrained();
    let with_more = more(&schema);
    for (name, make) in models() {
        // Without constraints: the share the model reaches on its own.
        let mut free = make();
        free.fit(&train, &plain(&schema), &mut NoProgress).unwrap();
        let raw = free.sample(ROWS, 11).unwrap();
        let hours = numbers(&raw, "hours_per_week");
        let age = numbers(&raw, "age");
        let ineq = hours.iter().zip(&age).filter(|(h, a)| h <= a).count();
        println!(
            "{name}: without constraints {:.1} % of {ROWS} rows have the education code, \
             {:.1} % have hours_per_week <= age",
            100.0 * share_with_the_code(&raw),
            100.0 * ineq as f64 / ROWS as f64,
        );

        // With them: every row, exactly ROWS rows.
        let mut model = make();
        model.fit(&train, &with_more, &mut NoProgress).unwrap();
        let rows = model.sample(ROWS, 11).unwrap();
        assert_eq!(rows.n_rows(), ROWS, "{name}");
        assert_eq!(share_with_the_code(&rows), 1.0, "{name}");
        let hours = numbers(&rows, "hours_per_week");
        let age = numbers(&rows, "age");
        let sex = labels(&rows, "sex");
        for r in 0..ROWS {
            assert!(
                hours[r] <= age[r],
                "{name}: row {r}: {} > {}",
                hours[r],
                age[r]
            );
            if sex[r].as_deref() == Some("Male") {
                assert!(hours[r] >= 35.0, "{name}: row {r}: {} h", hours[r]);
            }
        }
        // The model still produces both sexes and many education levels.
        assert!(sex.iter().any(|s| s.as_deref() == Some("Female")), "{name}");
        let levels: std::collections::HashSet<_> = labels(&rows, "education").into_iter().collect();
        assert!(levels.len() >= 8, "{name}: {levels:?}");

        // Chunks are the same rows, and conditions compose with the constraints.
        let chunks: Vec<Table> = model
            .sample_chunks(ROWS, 11, 333)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut joined = chunks[0].clone();
        for c in &chunks[1..] {
            joined.append(c).unwrap();
        }
        assert_eq!(joined, rows, "{name}");
        let women = model
            .sample_conditional(500, &[Condition::new("sex", "Female")], 5)
            .unwrap();
        assert_eq!(women.n_rows(), 500, "{name}");
        assert!(
            labels(&women, "sex")
                .iter()
                .all(|s| s.as_deref() == Some("Female"))
        );
        assert_eq!(share_with_the_code(&women), 1.0, "{name}");
        let masters = model
            .sample_conditional(200, &[Condition::new("education", "Masters")], 5)
            .unwrap();
        assert!(
            numbers(&masters, "education_num")
                .iter()
                .all(|c| *c == 14.0),
            "{name}"
        );

        // A saved model keeps its constraints.
        let bytes = model.to_bytes().unwrap();
        let loaded = tabveil_models::model_from_bytes(&bytes, &candle_core::Device::Cpu).unwrap();
        assert_eq!(loaded.schema().unwrap().constraints().len(), 3, "{name}");
        assert_eq!(loaded.sample(ROWS, 11).unwrap(), rows, "{name}");
    }
}

#[test]
fn a_constraint_too_rarely_met_is_a_typed_error_naming_it() {
    let (schema, train) = adult_constrained();
    // Possible within the public bounds, but one exact value of a column with 10⁶ values:
    // fnlwgt determines the combination, and hardly any of 20 000 generated rows (the limit
    // for 10 rows) has fnlwgt = 123 457.
    let rare = Constraint::fixed_combinations(
        ["fnlwgt", "sex"],
        vec![vec![Cell::Number(123_457.0), Cell::label("Male")]],
    )
    .named("one exact weight");
    let rare_schema = schema.with_constraints(vec![rare]).unwrap();
    for (name, make) in models() {
        let mut model = make();
        model.fit(&train, &rare_schema, &mut NoProgress).unwrap();
        match model.sample(10, 1) {
            Err(ModelError::ConstraintTooRare {
                constraint,
                requested,
                accepted,
                generated,
            }) => {
                assert_eq!(constraint, "one exact weight", "{name}");
                assert_eq!(requested, 10, "{name}");
                assert!(accepted < 10, "{name}: {accepted}");
                assert_eq!(generated, 20_000, "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}
