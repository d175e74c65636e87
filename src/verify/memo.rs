//! The pods at the edges of a selection ([`super::universe::pods`]), remembered while two
//! readings are compared ([`remembering`]): a comparison asks for the same ones again and again
//! (every policy of a namespace that allows the cluster DNS pods asks for the same dozen pods, on
//! both sides, once for each source it decides), and building them costs more than copying them.
//!
//! What is remembered is what the function gives for its arguments, which it alone decides:
//! nothing a comparison decides can differ for it. Outside a comparison nothing is kept.

use std::cell::RefCell;
use std::collections::HashMap;

use super::Pod;
use crate::model::{LabelSelector, NamespaceSel};

/// The pods given for each home namespace, namespace selection and pod selector.
type Pods = HashMap<String, HashMap<NamespaceSel, HashMap<LabelSelector, Vec<Pod>>>>;

thread_local! {
    static PODS: RefCell<Option<Pods>> = const { RefCell::new(None) };
}

/// Runs `f` with the pods remembered on this thread (forgotten after, even when `f` unwinds;
/// inside another call, that call's are kept).
pub fn remembering<T>(f: impl FnOnce() -> T) -> T {
    struct Forget(bool);
    impl Drop for Forget {
        fn drop(&mut self) {
            if self.0 {
                PODS.with(|p| p.replace(None));
            }
        }
    }
    let outermost = PODS.with(|p| {
        let mut p = p.borrow_mut();
        let outermost = p.is_none();
        if outermost {
            *p = Some(Pods::new());
        }
        outermost
    });
    let _forget = Forget(outermost);
    f()
}

/// The pods `make` gives for these arguments: the ones it gave before inside [`remembering`].
pub fn pods(
    namespace: &NamespaceSel,
    selector: &LabelSelector,
    home: &str,
    make: impl FnOnce() -> Vec<Pod>,
) -> Vec<Pod> {
    let known = PODS.with(|p| {
        p.borrow().as_ref().map(|memo| {
            memo.get(home)
                .and_then(|m| m.get(namespace))
                .and_then(|m| m.get(selector))
                .cloned()
        })
    });
    match known {
        // Not comparing: nothing is kept.
        None => make(),
        Some(Some(pods)) => pods,
        Some(None) => {
            let pods = make();
            PODS.with(|p| {
                if let Some(memo) = p.borrow_mut().as_mut() {
                    memo.entry(home.to_owned())
                        .or_default()
                        .entry(namespace.clone())
                        .or_default()
                        .insert(selector.clone(), pods.clone());
                }
            });
            pods
        }
    }
}
