//! The setters every audit's settings share (m, the guessing rule, 1 − β, the noise seed).

/// Implements `with_canaries`, `with_guessing`, `with_confidence` and
/// `with_dangerous_noise_seed` on a settings struct with the fields `canaries`, `guessing`,
/// `confidence` and `noise_seed`; `$noise_doc` documents what the noise seed fixes.
macro_rules! audit_setters {
    ($config:ty, $noise_doc:literal) => {
        impl $config {
            /// Sets m.
            pub fn with_canaries(mut self, canaries: usize) -> Self {
                self.canaries = canaries;
                self
            }

            /// Sets the guessing rule(s).
            pub fn with_guessing(mut self, guessing: $crate::guess::Guessing) -> Self {
                self.guessing = Some(guessing);
                self
            }

            /// Sets the confidence 1 − β.
            pub fn with_confidence(mut self, confidence: f64) -> Self {
                self.confidence = confidence;
                self
            }

            #[doc = $noise_doc]
            pub fn with_dangerous_noise_seed(mut self, seed: u64) -> Self {
                self.noise_seed = Some(seed);
                self
            }
        }
    };
}

pub(crate) use audit_setters;
