//! The three renderings: structure snapshots, well-formed self-contained HTML, numbers that
//! agree across JSON, Markdown and HTML, and words the report must never use.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test helpers outside #[test] functions panic on failure"
)]

mod common;

use common::{N, ledger_of, private_config, schema, snapshot};
use tabveil_accountant::PrivacyLedger;
use tabveil_report::{Comparison, EvaluationSummary, PrivacyReport};
use tabveil_validate::format::{sci, sig, sig_up};
use tabveil_validate::{Privacy, TrainingConfig};

fn private_report(seeded: bool) -> PrivacyReport {
    let config = private_config(seeded);
    PrivacyReport::from_fit(&ledger_of(&config, 1.0, seeded), &config, &schema(), N)
        .unwrap()
        .with_name("dp")
        .with_evaluation(EvaluationSummary {
            quality_overall: Some(0.8125),
            column_shapes: Some(0.875),
            column_pair_trends: Some(0.75),
            tstr_auc: Some(0.8),
            trtr_auc: None,
        })
        .unwrap()
}

fn plain_report() -> PrivacyReport {
    let config = TrainingConfig::ctgan(Privacy::NonPrivate);
    PrivacyReport::from_fit(&PrivacyLedger::new(), &config, &schema(), N).unwrap()
}

/// Headings and table headers of the Markdown, digits masked.
fn markdown_structure(md: &str) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('#') {
            out.push(line.to_string());
        } else if lines
            .get(i + 1)
            .is_some_and(|next| next.starts_with("|---"))
        {
            out.push(format!("table {line}"));
        }
    }
    mask(&out.join("\n")) + "\n"
}

/// Headings, table headers and figures of the HTML, digits masked.
fn html_structure(html: &str) -> String {
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .unwrap();
    let mut out = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        let text = || {
            mask(
                &node
                    .descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect::<String>(),
            )
        };
        match name {
            "h1" | "h2" | "h3" => out.push(format!(
                "{name}{} {}",
                node.attribute("id")
                    .map(|i| format!("#{i}"))
                    .unwrap_or_default(),
                text()
            )),
            "thead" => {
                let cells: Vec<String> = node
                    .descendants()
                    .filter(|d| d.has_tag_name("th"))
                    .map(|d| {
                        d.descendants()
                            .filter(|t| t.is_text())
                            .filter_map(|t| t.text())
                            .collect()
                    })
                    .collect();
                out.push(format!("table {}", cells.join(" | ")));
            }
            "figure" => out.push(format!("figure#{}", node.attribute("id").unwrap_or(""))),
            _ => {}
        }
    }
    out.join("\n") + "\n"
}

/// Digits masked, so the snapshots hold the structure, not the numbers.
fn mask(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect()
}

fn parse_html(html: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("HTML is not well-formed: {e}"))
}

#[test]
fn markdown_and_html_structure_snapshots() {
    let dp = private_report(false);
    snapshot("private.md", &markdown_structure(&dp.to_markdown()));
    snapshot("private.html", &html_structure(&dp.to_html().unwrap()));
    let plain = plain_report();
    snapshot("plain.md", &markdown_structure(&plain.to_markdown()));
    snapshot("plain.html", &html_structure(&plain.to_html().unwrap()));
}

#[test]
fn html_is_well_formed_and_self_contained() {
    let comparison = Comparison::new(&[private_report(false), plain_report()]).unwrap();
    for html in [
        private_report(false).to_html().unwrap(),
        private_report(true).to_html().unwrap(),
        plain_report().to_html().unwrap(),
        comparison.to_html().unwrap(),
    ] {
        let doc = parse_html(&html);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "html");
        // No external resource: no script, stylesheet link, image, frame, or src attribute;
        // links only in <a href> to sources; no url() in the CSS.
        for node in root.descendants().filter(|n| n.is_element()) {
            let name = node.tag_name().name();
            assert!(
                !matches!(
                    name,
                    "script" | "link" | "img" | "iframe" | "object" | "embed"
                ),
                "{name}"
            );
            assert!(node.attribute("src").is_none(), "src on {name}");
            if let Some(href) = node.attribute("href") {
                assert_eq!(name, "a", "href on {name}");
                assert!(href.starts_with("https://"), "{href}");
            }
        }
        assert!(!html.contains("url("));
        // Readable on a phone, printable.
        assert!(html.contains("name=\"viewport\" content=\"width=device-width, initial-scale=1\""));
        assert!(html.contains("@media print"));
        assert!(html.contains("@media (max-width:600px)"));
    }
    // The private report carries both plots as inline SVG.
    let html = private_report(false).to_html().unwrap();
    let doc = parse_html(&html);
    let figures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("figure"))
        .map(|n| n.attribute("id").unwrap().to_owned())
        .collect();
    assert_eq!(figures, ["plot-epsilon-delta", "plot-epsilon-steps"]);
    for f in doc.descendants().filter(|n| n.has_tag_name("figure")) {
        assert!(f.children().any(|c| c.tag_name().name() == "svg"));
    }
}

/// The key numbers printed in Markdown and HTML are the JSON's, formatted the same way.
#[test]
fn numbers_agree_across_renderings() {
    let r = private_report(false);
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    let md = r.to_markdown();
    let html = r.to_html().unwrap();
    let eps = json["epsilon"].as_f64().unwrap();
    let delta = json["delta"].as_f64().unwrap();
    let target = json["target_epsilon"].as_f64().unwrap();
    let dp = &json["spending"]["dp_sgd"];
    let sigma = dp["noise_multiplier"].as_f64().unwrap();
    let q = dp["sample_rate"].as_f64().unwrap();
    let steps = dp["steps"].as_u64().unwrap();
    let pre = json["spending"]["preprocessing"]["epsilon_alone"]
        .as_f64()
        .unwrap();
    let quality = json["evaluation"]["quality_overall"].as_f64().unwrap();
    let expected = [
        format!("ε = {}", sig_up(eps, 3)),
        format!("δ = {}", sci(delta)),
        sig(target, 3),
        sig(sigma, 3),
        sig(q, 3),
        steps.to_string(),
        sig_up(pre, 3),
        format!("{quality:.3}"),
    ];
    for text in &expected {
        assert!(md.contains(text.as_str()), "Markdown lacks `{text}`");
        assert!(html.contains(text.as_str()), "HTML lacks `{text}`");
    }
    // The ε table rows agree too.
    for row in json["guarantee"]["epsilon_at_deltas"].as_array().unwrap() {
        let d = sci(row["delta"].as_f64().unwrap());
        let e = sig_up(row["epsilon"].as_f64().unwrap(), 3);
        assert!(
            md.contains(&format!("| {d} | {e} |")),
            "Markdown row {d} {e}"
        );
        assert!(
            html.contains(&format!("<td class=\"n\">{d}</td><td class=\"n\">{e}</td>")),
            "HTML row {d} {e}"
        );
    }
}

/// The report never says "compliant" or "approved", in any rendering or mode.
#[test]
fn no_compliance_or_approval_claims() {
    let comparison = Comparison::new(&[private_report(false), plain_report()]).unwrap();
    let mut texts = Vec::new();
    for r in [private_report(false), private_report(true), plain_report()] {
        texts.push(r.to_json().unwrap());
        texts.push(r.to_markdown());
        texts.push(r.to_html().unwrap());
    }
    texts.push(comparison.to_json().unwrap());
    texts.push(comparison.to_markdown());
    texts.push(comparison.to_html().unwrap());
    for t in &texts {
        let lower = t.to_lowercase();
        for word in ["compliant", "approved"] {
            assert!(!lower.contains(word), "`{word}` found");
        }
    }
    // But the notes do name what the guarantee can support.
    let md = private_report(false).to_markdown();
    for topic in ["HIPAA", "Expert Determination", "Recital 26", "CCPA"] {
        assert!(md.contains(topic), "{topic}");
    }
}

#[test]
fn without_dp_the_first_line_says_no_guarantee_holds() {
    let r = plain_report();
    let md = r.to_markdown();
    let first = md.lines().next().unwrap().to_lowercase();
    assert!(first.contains("no privacy guarantee holds"), "{first}");
    let html = r.to_html().unwrap();
    let doc = parse_html(&html);
    let h1 = doc.descendants().find(|n| n.has_tag_name("h1")).unwrap();
    assert!(
        h1.text()
            .unwrap()
            .to_lowercase()
            .contains("no privacy guarantee holds")
    );
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert!(json["epsilon"].is_null() && json["delta"].is_null() && json["accountant"].is_null());
    assert!(
        json["headline"]
            .as_str()
            .unwrap()
            .starts_with("No privacy guarantee holds")
    );
}

#[test]
fn seeded_noise_is_named_in_every_rendering() {
    let r = private_report(true);
    for t in [r.to_json().unwrap(), r.to_markdown(), r.to_html().unwrap()] {
        assert!(
            t.contains("seed stays secret") || t.contains("that seed stays secret"),
            "seed"
        );
    }
    let secure = private_report(false).to_markdown();
    assert!(!secure.contains("SEEDED"));
}

#[test]
fn comparison_in_three_formats() {
    let c = PrivacyReport::compare(&[private_report(false), plain_report()]).unwrap();
    assert_eq!(c.models.len(), 2);
    assert_eq!(c.models[0].name, "dp");
    assert_eq!(c.models[1].name, "model #2");
    assert!(c.models[1].epsilon.is_none());
    let md = c.to_markdown();
    assert!(md.contains(&format!("| {} |", sig_up(c.models[0].epsilon.unwrap(), 3))));
    assert!(md.contains("| none | none |"));
    let json: serde_json::Value = serde_json::from_str(&c.to_json().unwrap()).unwrap();
    assert_eq!(json["models"].as_array().unwrap().len(), 2);
    parse_html(&c.to_html().unwrap());
    assert!(Comparison::new(&[]).is_err());
}
