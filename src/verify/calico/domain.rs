//! Calico Enterprise `destination.domains` (§dns, "Domain name matching").

/// A domain: an exact name, or a name with one `*` label, which stands for one or more labels at
/// that position (`*.google.com` matches `www.google.com` and `www.ipv6.google.com`, not
/// `google.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// As written.
    pub text: String,
    labels: Vec<String>,
    wildcard: Option<usize>,
}

impl Domain {
    pub fn parse(text: &str) -> Result<Domain, String> {
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<String> = name.split('.').map(str::to_owned).collect();
        if labels.iter().any(String::is_empty) {
            return Err(format!("domain `{text}` has an empty label"));
        }
        let stars: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains('*'))
            .map(|(i, _)| i)
            .collect();
        // §dns: not supported are several wildcards, and `*` that is not a whole label.
        if stars.len() > 1 {
            return Err(format!("domain `{text}` has more than one `*`"));
        }
        if let Some(&i) = stars.first()
            && labels.get(i).is_some_and(|l| l != "*")
        {
            return Err(format!("domain `{text}`: a `*` must be a whole label"));
        }
        Ok(Domain {
            text: text.to_owned(),
            labels,
            wildcard: stars.first().copied(),
        })
    }

    /// Whether a looked-up name matches (DNS names compare without case, RFC 4343).
    pub fn matches(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return false;
        }
        let same =
            |a: &[&str], b: &[String]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| *x == y);
        match self.wildcard {
            None => same(&labels, &self.labels),
            Some(i) => {
                let before = self.labels.get(..i).unwrap_or_default();
                let after = self.labels.get(i + 1..).unwrap_or_default();
                labels.len() > before.len() + after.len()
                    && labels.get(..before.len()).is_some_and(|l| same(l, before))
                    && labels
                        .get(labels.len() - after.len()..)
                        .is_some_and(|l| same(l, after))
            }
        }
    }
}
