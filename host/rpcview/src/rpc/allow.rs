//! Per-window allowlists of method and event names, as globs where `*` matches any run of
//! characters.

/// Which names a window may use. The default allows everything the [`Api`](crate::Api)
/// registers.
///
/// ```
/// use rpcview::Allow;
/// let allow = Allow::only(["notes.*", "app.log"]);
/// assert!(allow.permits("notes.save"));
/// assert!(allow.permits("app.log"));
/// assert!(!allow.permits("fs.write"));
/// assert!(Allow::all().permits("fs.write"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    patterns: Option<Vec<String>>,
}

impl Allow {
    /// Every registered name.
    pub fn all() -> Self {
        Self { patterns: None }
    }

    /// Only names matching one of `patterns`.
    pub fn only<I, S>(patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            patterns: Some(patterns.into_iter().map(Into::into).collect()),
        }
    }

    /// Whether `name` matches.
    pub fn permits(&self, name: &str) -> bool {
        match &self.patterns {
            None => true,
            Some(p) => p.iter().any(|p| glob(p.as_bytes(), name.as_bytes())),
        }
    }

    /// Its patterns (`["*"]` for [`Allow::all`]).
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn patterns(&self) -> Vec<String> {
        self.patterns.clone().unwrap_or_else(|| vec!["*".into()])
    }

    /// One allowlist permitting what any of `allows` permits.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn union<'a>(allows: impl IntoIterator<Item = &'a Allow>) -> Allow {
        Allow::only(allows.into_iter().flat_map(Allow::patterns))
    }

    /// Whether `name` matches the glob `pattern`.
    pub(crate) fn glob(pattern: &str, name: &str) -> bool {
        glob(pattern.as_bytes(), name.as_bytes())
    }
}

fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob(rest, &name[i..])),
        Some((c, rest)) => name.first() == Some(c) && glob(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    macro_rules! case {
        ($name:ident, $p:expr, $n:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(glob($p.as_bytes(), $n.as_bytes()), $want);
            }
        };
    }
    case!(exact_matches, "notes.save", "notes.save", true);
    case!(exact_differs, "notes.save", "notes.saved", false);
    case!(star_matches_suffix, "notes.*", "notes.save", true);
    case!(star_needs_prefix, "notes.*", "note.save", false);
    case!(star_alone_matches_all, "*", "anything.at.all", true);
    case!(star_in_middle, "a.*.c", "a.b.c", true);
    case!(star_matches_empty, "notes.*", "notes.", true);
}
