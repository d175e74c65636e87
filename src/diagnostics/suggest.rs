//! "Did you mean" suggestions by edit distance.

/// The closest candidate to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_close_names_only() {
        let names = ["rds", "redis", "dns", "metadata"];
        assert_eq!(did_you_mean("rdss", names), Some("rds"));
        assert_eq!(did_you_mean("metdata", names), Some("metadata"));
        assert_eq!(did_you_mean("zzzzzz", names), None);
    }
}
