//! Issue 12 in the data crate: schema inference and the reader agree, inferred schemas carry a
//! mark that private preprocessing refuses, bounds the transformer cannot handle are refused by
//! the schema, and error messages hold no Rust debug text or 300-digit numbers.

#![allow(clippy::unwrap_used, reason = "tests")]

use tabveil_data::{
    CsvOptions, PrivateConfig, Schema, infer_schema, planned_preprocessing, read_csv,
};

#[test]
fn issue12_a_number_then_datetimes_infers_a_column_the_reader_accepts() {
    let mut text = String::from("when\n0\n");
    for _ in 0..5 {
        text.push_str("2001-02-03 04:05:06\n");
    }
    let inferred = infer_schema(text.as_bytes(), "t", &CsvOptions::default()).unwrap();
    read_csv(text.as_bytes(), &inferred.schema, &CsvOptions::default()).unwrap();
    // And through the JSON the CLI prints.
    let again = Schema::from_json(&inferred.schema.to_json().unwrap()).unwrap();
    read_csv(text.as_bytes(), &again, &CsvOptions::default()).unwrap();
}

#[test]
fn issue12_an_inferred_schema_is_marked_and_private_preprocessing_refuses_it() {
    let text = "x,c\n1,a\n2,b\n3,a\n";
    let inferred = infer_schema(text.as_bytes(), "t", &CsvOptions::default()).unwrap();
    let json = inferred.schema.to_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["inferred_from_data"],
        serde_json::Value::Bool(true),
        "{json}"
    );
    let config = PrivateConfig::new(1.0).unwrap();
    let err = planned_preprocessing(&inferred.schema, &config).unwrap_err();
    assert!(err.to_string().contains("inferred_from_data"), "{err}");
    // Reviewed: the mark removed, the same bounds and categories are accepted.
    let mut value = value;
    value.as_object_mut().unwrap().remove("inferred_from_data");
    let reviewed = Schema::from_json(&value.to_string()).unwrap();
    assert!(planned_preprocessing(&reviewed, &config).is_ok());
}

#[test]
fn issue12_bounds_the_transformer_cannot_handle_are_refused_by_the_schema() {
    let err = Schema::from_json(
        r#"{"name": "t", "columns": [{"name": "x", "kind": "continuous", "min": -1e200, "max": 1e200}]}"#,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("`x`"), "{message}");
    assert!(message.len() < 300, "{message}");
}

#[test]
fn issue12_errors_hold_no_debug_text_nor_huge_numbers() {
    let schema = Schema::from_json(
        r#"{"name": "t", "columns": [{"name": "x", "kind": "continuous", "min": 0, "max": 100}]}"#,
    )
    .unwrap();
    for (csv, shown) in [("x\n130\n", "130"), ("x\n1e300\n", "1e300")] {
        let err = read_csv(csv.as_bytes(), &schema, &CsvOptions::default()).unwrap_err();
        let message = err.to_string();
        assert!(!message.contains("Some("), "{message}");
        assert!(message.contains("[0, 100]"), "{message}");
        assert!(message.contains(shown), "{message}");
        assert!(message.len() < 200, "{message}");
    }
}

/// The limit of the schema is one the transformer's mixture fits handle: values at ±1e100,
/// with row counts up to 2⁵³, give a finite fit — and values a little beyond would not.
#[test]
fn issue12_the_mixture_fits_values_at_the_limit() {
    use tabveil_data::{BayesianMixture, BgmConfig, MAX_ABS_VALUE, WeightedPoints};

    let l = MAX_ABS_VALUE;
    let heavy = 2f64.powi(53);
    let x = vec![-l, -l / 3.0, 0.0, l / 2.0, l];
    let spread = (2.0 * l / 128.0).powi(2) / 12.0;
    for w in [vec![1.0; 5], vec![heavy, 1.0, heavy, 7.0, heavy]] {
        let points = WeightedPoints::weighted(x.clone(), w, vec![spread; 5]).unwrap();
        let bgm = BayesianMixture::fit(&points, &BgmConfig::default(), 0).unwrap();
        assert!(bgm.lower_bound().is_finite());
        assert!(bgm.means().iter().all(|m| m.is_finite()));
        assert!(bgm.variances().iter().all(|v| v.is_finite() && *v > 0.0));
    }
    // At ±1e200 the same fit fails: the limit is needed.
    let far = 1e200_f64;
    let spread = (2.0 * far / 128.0).powi(2) / 12.0;
    let fails = WeightedPoints::weighted(vec![-far, 0.0, far], vec![1.0; 3], vec![spread; 3])
        .and_then(|p| BayesianMixture::fit(&p, &BgmConfig::default(), 0))
        .map(|b| !b.lower_bound().is_finite())
        .unwrap_or(true);
    assert!(fails);
}

/// Reading a value beyond the limit in a column without bounds is an error naming it.
#[test]
fn issue12_values_beyond_the_limit_are_refused_by_the_reader() {
    let schema =
        Schema::from_json(r#"{"name": "t", "columns": [{"name": "x", "kind": "continuous"}]}"#)
            .unwrap();
    let err = read_csv("x\n1\n2e150\n".as_bytes(), &schema, &CsvOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("line 3") && message.contains("`x`"),
        "{message}"
    );
    assert!(message.contains("2e150"), "{message}");
}
