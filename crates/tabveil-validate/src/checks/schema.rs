//! Checks of the schema against the mode: public bounds and domains in private mode, and
//! columns that carry no information.
//!
//! A schema without modelled columns cannot reach these checks: `tabveil_data::Schema`
//! refuses it on construction (`EmptySchema`, `NoModelledColumns`).

use tabveil_data::ColumnKind;

use crate::finding::{Code, Finding};
use crate::session::Session;

pub(crate) fn check(s: &Session<'_>, out: &mut Vec<Finding>) {
    let private = s.config.privacy().is_private();
    if private && s.schema.is_inferred_from_data() {
        out.push(Finding::new(
            Code::DpSchemaInferred,
            "schema.inferred_from_data",
            "the schema was inferred from the data (\"inferred_from_data\": true): its bounds are the exact extremes of the rows and its categories every value present, one person's included, and a private fit would release them.",
            "review the schema: replace bounds and categories with public knowledge (a codebook, legal or physical ranges), then delete the line \"inferred_from_data\": true",
        ));
    }
    for c in s.schema.columns() {
        let field = format!("schema.columns.{}", c.name());
        match c.kind() {
            ColumnKind::Continuous { min, max, .. } | ColumnKind::Datetime { min, max, .. }
                if private && (min.is_none() || max.is_none()) =>
            {
                let missing = match (min, max) {
                    (None, None) => "\"min\" and \"max\"",
                    (None, Some(_)) => "\"min\"",
                    _ => "\"max\"",
                };
                out.push(Finding::new(
                    Code::DpBoundsMissing,
                    field,
                    format!(
                        "{} column `{}` has no declared {missing}: private preprocessing builds its histogram over public bounds, and bounds read from the data would reveal the extreme rows.",
                        c.kind().as_str(),
                        c.name()
                    ),
                    format!(
                        "declare {missing} for `{}` in the schema from public knowledge (a codebook, a legal or physical range), not from this table",
                        c.name()
                    ),
                ));
            }
            ColumnKind::Categorical { categories: None } if private => {
                out.push(Finding::new(
                    Code::DpCategoriesMissing,
                    field,
                    format!(
                        "categorical column `{}` has no declared categories: the list of values present in the data can reveal a rare value held by one person.",
                        c.name()
                    ),
                    format!(
                        "declare \"categories\" for `{}` in the schema from public knowledge (a codebook), listing every possible value",
                        c.name()
                    ),
                ));
            }
            ColumnKind::Categorical {
                categories: Some(cats),
            } if cats.len() == 1 => {
                out.push(Finding::new(
                    Code::SingleCategory,
                    field,
                    format!(
                        "categorical column `{}` declares one category (`{}`){}: it carries no information but still costs a private release and model capacity.",
                        c.name(),
                        cats[0],
                        if c.is_nullable() { " besides missing values" } else { "" }
                    ),
                    format!(
                        "drop `{}` before fitting (and add it back as a constant), or declare its other possible categories",
                        c.name()
                    ),
                ));
            }
            _ => {}
        }
    }
}
