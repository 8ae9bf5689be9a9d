//! The reference vectors of `tests/data/accountant_reference.json` (see the README beside it),
//! read with serde.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on bad fixtures"
)]

use serde::Deserialize;
use tabveil_accountant::PrivacyEvent;

#[derive(Debug, Deserialize)]
pub struct Reference {
    pub cases: Vec<Case>,
    pub noise_multiplier: Vec<NoiseCase>,
    pub rdp_ground_truth: Vec<GroundTruth>,
    pub meta: Meta,
}

#[derive(Debug, Deserialize)]
pub struct Meta {
    pub rdp_orders: MetaOrders,
}

#[derive(Debug, Deserialize)]
pub struct MetaOrders {
    pub opacus_default: Vec<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: u64,
    pub kind: String,
    /// `[q, sigma, steps]` in order of execution.
    pub segments: Vec<(f64, f64, u64)>,
    pub delta: f64,
    pub eps: Eps,
    #[serde(default)]
    pub opacus_prv_detail: Option<PrvDetail>,
    #[serde(default, rename = "pld_bracket_1e-5")]
    pub pld_bracket: Option<Bracket>,
    #[serde(default)]
    pub dpacc_pld_detail: Option<PldDetail>,
    #[serde(skip)]
    pub dpacc_pmf_size: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct PldDetail {
    pub pmf_sizes: Vec<u64>,
}

#[derive(Debug, Deserialize)]
pub struct Eps {
    pub opacus_rdp: Option<f64>,
    pub dpacc_pld: Option<f64>,
    pub opacus_gdp: Option<f64>,
    pub exact_gaussian: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct PrvDetail {
    pub lower: f64,
    pub estimate: f64,
    pub upper: f64,
}

#[derive(Debug, Deserialize)]
pub struct Bracket {
    pub lower: f64,
    pub upper: f64,
}

#[derive(Debug, Deserialize)]
pub struct NoiseCase {
    pub target_epsilon: f64,
    pub delta: f64,
    pub q: f64,
    pub steps: u64,
    pub opacus_rdp: SigmaSearch,
    pub dpacc_calibrate_pld: DpaccSigma,
}

#[derive(Debug, Deserialize)]
pub struct SigmaSearch {
    pub sigma_precise: f64,
}

#[derive(Debug, Deserialize)]
pub struct DpaccSigma {
    pub sigma: f64,
}

#[derive(Debug, Deserialize)]
pub struct GroundTruth {
    pub q: f64,
    pub sigma: f64,
    pub order: f64,
    pub rdp_true: f64,
    pub rdp_opacus: Option<f64>,
}

pub fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/accountant_reference.json"
    );
    let text = std::fs::read_to_string(path).expect("reference JSON is readable");
    let mut r: Reference = serde_json::from_str(&text).expect("reference JSON parses");
    for case in &mut r.cases {
        case.dpacc_pmf_size = case
            .dpacc_pld_detail
            .as_ref()
            .and_then(|d| d.pmf_sizes.iter().copied().max());
    }
    r
}

impl Case {
    /// The case's history as events (q = 1 segments are plain Gaussian mechanisms).
    pub fn events(&self) -> Vec<PrivacyEvent> {
        self.segments
            .iter()
            .map(|&(q, sigma, steps)| {
                if q == 1.0 {
                    PrivacyEvent::gaussian(sigma, steps).unwrap()
                } else {
                    PrivacyEvent::poisson_subsampled_gaussian(q, sigma, steps).unwrap()
                }
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        format!(
            "case {} ({}) {:?} δ={}",
            self.id, self.kind, self.segments, self.delta
        )
    }
}

pub fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}
