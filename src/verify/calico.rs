//! PLACEHOLDER: replaced by the calico evaluator.
use super::{Decision, Evaluator, Flow, Undecidable};
pub struct Model;
impl Model {
    pub fn load(_yaml: &str, _enterprise: bool) -> Result<Model, Undecidable> {
        Err(Undecidable::BadYaml("not written yet".into()))
    }
}
impl Evaluator for Model {
    fn decide(&self, _flow: &Flow) -> Result<Decision, Undecidable> {
        Err(Undecidable::BadYaml("not written yet".into()))
    }
}
