//! The analysis worker: programs are analysed on a thread of their own, one at a time, so that
//! the serving loop keeps reading and answering while an analysis runs. A request is answered
//! from the last completed analysis while the one running is of a version already gone, and
//! never waits behind it (see `Server::ready`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};

use crate::syntax::ast;

use super::program::{Member, Parsed, Program};

/// An analysis to run: the files of one program as they are when it starts, with the syntax
/// trees kept from its last analysis.
pub struct Job {
    pub key: String,
    pub members: Vec<Member>,
    pub parsed: Parsed,
}

/// A finished analysis, with the syntax trees to keep for the next one (`program` is `None`
/// when the analysis failed on a defect, reported on stderr).
pub struct Done {
    pub key: String,
    pub program: Option<Program>,
    pub parsed: Parsed,
}

/// Starts the worker: the jobs sent to the returned sender are analysed in order, and each
/// result is sent to `events` as `wrap` makes it.
pub fn spawn<E: Send + 'static>(
    stdlib: Arc<Vec<ast::File>>,
    events: Sender<E>,
    wrap: impl Fn(Done) -> E + Send + 'static,
) -> Sender<Job> {
    let (tx, rx) = channel::<Job>();
    std::thread::spawn(move || {
        for job in rx {
            let Job {
                key,
                members,
                mut parsed,
            } = job;
            let program = catch_unwind(AssertUnwindSafe(|| {
                Program::build(members, &stdlib, &mut parsed)
            }))
            .ok();
            if program.is_none() {
                eprintln!("egressc lsp: the analysis failed; please file an issue");
                parsed = Parsed::default();
            }
            let done = Done {
                key,
                program,
                parsed,
            };
            if events.send(wrap(done)).is_err() {
                break;
            }
        }
    });
    tx
}
