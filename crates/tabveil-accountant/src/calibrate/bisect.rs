//! The integer bisection every search over a count (steps, batch sizes) shares.

/// The largest `n` in `[good, bad)` with `fits(n)`, by bisection, for a `fits` that holds up to
/// some point and fails from there on, given that `fits(good)` holds and `fits(bad)` fails
/// (neither is evaluated again). Evaluates `fits` about log₂(bad − good) times.
///
/// ```
/// use tabveil_accountant::last_fitting;
///
/// let n = last_fitting(1, 1_000, |n| Ok::<_, ()>(n * n <= 500))?;
/// assert_eq!(n, 22);
/// # Ok::<(), ()>(())
/// ```
///
/// # Errors
/// The first error of `fits`.
pub fn last_fitting<E>(
    mut good: u64,
    mut bad: u64,
    mut fits: impl FnMut(u64) -> Result<bool, E>,
) -> Result<u64, E> {
    while bad > good + 1 {
        let mid = good + (bad - good) / 2;
        if fits(mid)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(good)
}
