//! Which container log files YARN aggregates to HDFS (`log_aggregation` in the spec, a skein-rs
//! extension), and when: at the end only, or also while the application runs (`rolled`).
//!
//! The spec names files with shell-style globs (`*.log`); YARN's LogAggregationContext takes
//! Java regular expressions that it searches for in each file name, so each glob list becomes
//! one anchored expression.

/// Which log files of each container YARN aggregates.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LogAggregation {
    /// Globs of the file names to aggregate; empty means every file.
    pub include: Vec<String>,
    /// Globs of the file names never to aggregate (wins over `include`).
    pub exclude: Vec<String>,
    /// Also aggregate the same files while the application runs, at the NodeManagers'
    /// `yarn.nodemanager.log-aggregation.roll-monitoring-interval-seconds`.
    pub rolled: bool,
}

/// The characters a glob may not hold: a log file name has no folder, and a comma would be
/// read as a separator by YARN's command-line tools.
pub(crate) const FORBIDDEN_GLOB_CHARS: &[char] = &['/', ','];

impl LogAggregation {
    /// YARN's `log-include-pattern`; `None` aggregates every file.
    pub fn include_pattern(&self) -> Option<String> {
        globs_to_regex(&self.include)
    }

    /// YARN's `log-exclude-pattern`; `None` excludes nothing.
    pub fn exclude_pattern(&self) -> Option<String> {
        globs_to_regex(&self.exclude)
    }

    /// YARN's `rolled-log-include-pattern`: the include pattern (every file when it is empty)
    /// when `rolled`; `None` aggregates only at the end.
    pub fn rolled_include_pattern(&self) -> Option<String> {
        self.rolled
            .then(|| self.include_pattern().unwrap_or_else(|| ".*".to_string()))
    }

    /// YARN's `rolled-log-exclude-pattern`.
    pub fn rolled_exclude_pattern(&self) -> Option<String> {
        self.rolled.then(|| self.exclude_pattern()).flatten()
    }
}

/// `^(?:a|b)$` for the globs `a`, `b` (`*` any run of characters, `?` one character, every
/// other character itself); `None` for no globs.
fn globs_to_regex(globs: &[String]) -> Option<String> {
    if globs.is_empty() {
        return None;
    }
    let alternatives: Vec<String> = globs.iter().map(|g| glob_to_regex(g)).collect();
    Some(format!("^(?:{})$", alternatives.join("|")))
}

fn glob_to_regex(glob: &str) -> String {
    let mut out = String::new();
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => out.push(c),
            // Everything else literally; `\Q..\E` would also work but reads worse in a report.
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregation(include: &[&str], exclude: &[&str], rolled: bool) -> LogAggregation {
        LogAggregation {
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            rolled,
        }
    }

    #[test]
    fn globs_become_anchored_java_expressions() {
        let a = aggregation(&["*.log", "gc-?.txt"], &["debug*"], false);
        assert_eq!(
            a.include_pattern().as_deref(),
            Some(r"^(?:.*\.log|gc-.\.txt)$")
        );
        assert_eq!(a.exclude_pattern().as_deref(), Some("^(?:debug.*)$"));
        assert_eq!(a.rolled_include_pattern(), None);
        assert_eq!(a.rolled_exclude_pattern(), None);
    }

    #[test]
    fn rolled_aggregation_uses_the_same_files_or_all() {
        let a = aggregation(&["*.log"], &["x.log"], true);
        assert_eq!(a.rolled_include_pattern(), a.include_pattern());
        assert_eq!(a.rolled_exclude_pattern(), a.exclude_pattern());
        let all = aggregation(&[], &[], true);
        assert_eq!(all.include_pattern(), None);
        assert_eq!(all.rolled_include_pattern().as_deref(), Some(".*"));
    }
}
