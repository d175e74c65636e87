//! Whether the product evaluators write the texts of their decisions: why a flow is allowed or
//! denied, which rule decided, the closest miss. `egressc test` and `egressc trace` show them;
//! a comparison of two readings over every flow of a universe needs only the verdicts, and
//! decides again, with their texts, the few flows it reports ([`verdicts_only`]).
//!
//! A verdict never depends on a text: the evaluators build every text with `text!`, which
//! gives an empty string while texts are off, and no branch of a decision reads a text.

use std::cell::Cell;

thread_local! {
    static OFF: Cell<bool> = const { Cell::new(false) };
}

/// Whether texts are written (the default).
pub fn on() -> bool {
    !OFF.with(Cell::get)
}

/// Runs `f` with the texts of this thread's decisions left empty (restored after, even when
/// `f` unwinds).
pub fn verdicts_only<T>(f: impl FnOnce() -> T) -> T {
    with(true, f)
}

/// Runs `f` with the texts written, inside [`verdicts_only`]: for a decision that is shown.
pub fn written<T>(f: impl FnOnce() -> T) -> T {
    with(false, f)
}

fn with<T>(off: bool, f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            OFF.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(OFF.with(|c| c.replace(off)));
    f()
}

/// `format!`, or an empty string (its arguments not evaluated) while texts are off.
macro_rules! text {
    ($($arg:tt)*) => {
        if $crate::verify::texts::on() {
            format!($($arg)*)
        } else {
            String::new()
        }
    };
}

pub(crate) use text;
