//! Being what Python Skein thinks is its Java driver.
//!
//! The unchanged Python client starts a private driver by running
//! `$JAVA_HOME/bin/java [-D...] [java options] com.anaconda.skein.Driver --jar <jar>
//! [--keytab K --principal P] [--daemon]` (or `java` from `PATH`), after running
//! `yarn classpath --glob`. [`install_python_shim`] writes a directory with a `bin/java` that
//! hands exactly that command line to `skein driver jvm-compat -- <java arguments>` (and runs
//! the real `java` for anything else) plus a fast `bin/yarn`. With `JAVA_HOME=<dir>` (and
//! `<dir>/bin` on `PATH`) Python then talks to the skein-rs driver. [`JvmDriverArgs::parse`]
//! reads the Java command line. See `docs/python-interop.md`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::driver::logging::{LogLevel, log_level_from_java_args};

/// The Java main class of Skein's driver.
pub(crate) const DRIVER_MAIN_CLASS: &str = "com.anaconda.skein.Driver";

/// The driver arguments found in a Java command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct JvmDriverArgs {
    /// From the last `-Dskein.log.level=` (INFO when absent).
    pub log_level: LogLevel,
    /// `--jar` (Skein's jar; unused by skein-rs, required as by Java Skein).
    pub jar: PathBuf,
    /// `--keytab`.
    pub keytab: Option<PathBuf>,
    /// `--principal`.
    pub principal: Option<String>,
    /// `--daemon`: keep running after stdin closes.
    pub daemon: bool,
    /// JVM options that were ignored (reported at debug level).
    pub ignored_jvm_options: Vec<String>,
}

/// A Java command line that is not Skein's driver invocation.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum JvmArgsError {
    /// No `com.anaconda.skein.Driver` main class.
    #[error("expected the main class {DRIVER_MAIN_CLASS} in the java command line, found {0}")]
    NotTheDriver(String),
    /// Bad driver arguments (Java Skein prints its usage and exits 1 here too).
    #[error(
        "{0}\nusage: com.anaconda.skein.Driver --jar PATH [--keytab PATH --principal NAME] [--daemon]"
    )]
    Usage(String),
    /// An unknown `-Dskein.log.level`.
    #[error(transparent)]
    LogLevel(#[from] crate::driver::logging::UnknownLogLevel),
}

impl JvmDriverArgs {
    /// Parses the arguments of a `java` command line (without `java` itself).
    ///
    /// JVM options before the main class are skipped (`-cp`/`-classpath`/`--class-path`
    /// take a value); after it, Java Skein's driver options are parsed strictly.
    ///
    /// # Errors
    /// [`JvmArgsError`] when the main class is missing or an option is wrong.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Self, JvmArgsError> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let mut parsed = Self::default();
        let mut index = 0;
        let main_index = loop {
            let Some(arg) = args.get(index).copied() else {
                return Err(JvmArgsError::NotTheDriver("no main class".to_string()));
            };
            match arg {
                "-cp" | "-classpath" | "--class-path" => {
                    parsed.ignored_jvm_options.push(arg.to_string());
                    index += 2;
                }
                _ if arg.starts_with('-') => {
                    if !arg.starts_with(crate::driver::logging::JAVA_LOG_LEVEL_PROPERTY) {
                        parsed.ignored_jvm_options.push(arg.to_string());
                    }
                    index += 1;
                }
                DRIVER_MAIN_CLASS => break index,
                other => return Err(JvmArgsError::NotTheDriver(format!("'{other}'"))),
            }
        };
        if let Some(level) = log_level_from_java_args(args[..main_index].iter().copied()) {
            parsed.log_level = level?;
        }
        let mut rest = args[main_index + 1..].iter().copied();
        let mut jar = None;
        while let Some(arg) = rest.next() {
            let mut value = |name: &str| {
                rest.next()
                    .map(str::to_string)
                    .ok_or_else(|| JvmArgsError::Usage(format!("{name} needs a value")))
            };
            match arg {
                "--jar" => jar = Some(PathBuf::from(value("--jar")?)),
                "--keytab" => parsed.keytab = Some(PathBuf::from(value("--keytab")?)),
                "--principal" => parsed.principal = Some(value("--principal")?),
                "--daemon" => parsed.daemon = true,
                other => return Err(JvmArgsError::Usage(format!("unknown argument '{other}'"))),
            }
        }
        parsed.jar = jar.ok_or_else(|| JvmArgsError::Usage("--jar is required".to_string()))?;
        if parsed.keytab.is_some() != parsed.principal.is_some() {
            return Err(JvmArgsError::Usage(
                "--keytab and --principal must be given together".to_string(),
            ));
        }
        Ok(parsed)
    }
}

/// The scripts [`install_python_shim`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PythonShim {
    /// `<dir>/bin/java`.
    pub java: PathBuf,
    /// `<dir>/bin/yarn`.
    pub yarn: PathBuf,
    /// The real `java` the shim falls back to, if one was found.
    pub real_java: Option<PathBuf>,
    /// The real `yarn` the shim falls back to, if one was found.
    pub real_yarn: Option<PathBuf>,
}

/// Writes `<dir>/bin/java` and `<dir>/bin/yarn` (mode 0755), overwriting older versions.
///
/// * `java` runs `<skein> driver jvm-compat -- "$@"` when its arguments contain
///   `com.anaconda.skein.Driver`, else execs `real_java`.
/// * `yarn classpath ...` prints nothing (the Rust driver needs no Java classpath); any other
///   `yarn` command execs `real_yarn`.
///
/// `real_java`/`real_yarn` default to the first `java`/`yarn` on `PATH` outside `<dir>/bin`
/// (and `$JAVA_HOME/bin/java` first, unless `JAVA_HOME` is `dir`).
///
/// # Errors
/// IO errors while writing the scripts.
pub(crate) fn install_python_shim(
    dir: &Path,
    skein: &Path,
    real_java: Option<PathBuf>,
    real_yarn: Option<PathBuf>,
) -> std::io::Result<PythonShim> {
    let dir = std::path::absolute(dir)?;
    let skein = std::path::absolute(skein)?;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin)?;
    let java_home_java = std::env::var_os("JAVA_HOME")
        .map(PathBuf::from)
        .filter(|home| home != &dir)
        .map(|home| home.join("bin").join("java"))
        .filter(|java| java.is_file());
    let real_java = real_java
        .or(java_home_java)
        .or_else(|| find_on_path("java", &bin));
    let real_yarn = real_yarn.or_else(|| find_on_path("yarn", &bin));

    let java = bin.join("java");
    let yarn = bin.join("yarn");
    write_script(&java, &java_script(&skein, real_java.as_deref()))?;
    write_script(&yarn, &yarn_script(real_yarn.as_deref()))?;
    Ok(PythonShim {
        java,
        yarn,
        real_java,
        real_yarn,
    })
}

fn java_script(skein: &Path, real_java: Option<&Path>) -> String {
    format!(
        r#"#!/bin/sh
# Written by `skein driver install-python-shim` (skein-rs). Python Skein starts its driver as
# `$JAVA_HOME/bin/java ... {DRIVER_MAIN_CLASS} --jar ...`; run the skein-rs driver instead,
# and the real java for anything else.
SKEIN={skein}
REAL_JAVA={real_java}
for arg in "$@"; do
    if [ "$arg" = {DRIVER_MAIN_CLASS} ]; then
        exec "$SKEIN" driver jvm-compat -- "$@"
    fi
done
if [ -n "$REAL_JAVA" ]; then
    exec "$REAL_JAVA" "$@"
fi
echo "skein-rs java shim: no real java known; re-run \`skein driver install-python-shim --java PATH\`" >&2
exit 127
"#,
        skein = shell_quote(&skein.to_string_lossy()),
        real_java = shell_quote(&real_java.map(|p| p.to_string_lossy()).unwrap_or_default()),
    )
}

fn yarn_script(real_yarn: Option<&Path>) -> String {
    format!(
        r#"#!/bin/sh
# Written by `skein driver install-python-shim` (skein-rs). Python Skein runs
# `yarn classpath --glob` before starting its driver; the skein-rs driver needs no Java
# classpath, so answer at once. Anything else goes to the real yarn.
REAL_YARN={real_yarn}
if [ "$1" = classpath ]; then
    echo
    exit 0
fi
if [ -n "$REAL_YARN" ]; then
    exec "$REAL_YARN" "$@"
fi
echo "skein-rs yarn shim: no real yarn known; re-run \`skein driver install-python-shim --yarn PATH\`" >&2
exit 127
"#,
        real_yarn = shell_quote(&real_yarn.map(|p| p.to_string_lossy()).unwrap_or_default()),
    )
}

fn write_script(path: &Path, text: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text)?;
    std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&temporary, path)
}

/// Single-quotes `text` for POSIX sh.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The first executable `name` on `PATH`, skipping `exclude`.
fn find_on_path(name: &str, exclude: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir != exclude)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_python_skein_runs_for_a_private_driver() {
        let args = [
            "-Dskein.log.level=INFO",
            "-Djava.library.path=/opt/hadoop/lib/native",
            "-Xmx512m",
            "-Dskein.log.level=debug",
            "com.anaconda.skein.Driver",
            "--jar",
            "/venv/skein/java/skein.jar",
        ];
        let parsed = JvmDriverArgs::parse(&args).expect("valid driver command line");
        assert_eq!(parsed.log_level, LogLevel::Debug);
        assert_eq!(parsed.jar, PathBuf::from("/venv/skein/java/skein.jar"));
        assert!(!parsed.daemon);
        assert_eq!(parsed.keytab, None);
    }

    #[test]
    fn parses_the_global_driver_with_a_keytab_and_a_classpath_option() {
        let args = [
            "-cp",
            "/shim.jar",
            "com.anaconda.skein.Driver",
            "--jar",
            "skein.jar",
            "--keytab",
            "/k.keytab",
            "--principal",
            "alice@EXAMPLE.COM",
            "--daemon",
        ];
        let parsed = JvmDriverArgs::parse(&args).expect("valid driver command line");
        assert!(parsed.daemon);
        assert_eq!(parsed.log_level, LogLevel::Info);
        assert_eq!(parsed.principal.as_deref(), Some("alice@EXAMPLE.COM"));
        assert_eq!(parsed.ignored_jvm_options, ["-cp"]);
    }

    #[test]
    fn rejects_other_programs_and_bad_driver_arguments() {
        assert!(matches!(
            JvmDriverArgs::parse(&["-version"]),
            Err(JvmArgsError::NotTheDriver(_))
        ));
        assert!(matches!(
            JvmDriverArgs::parse(&["org.apache.hadoop.util.Classpath"]),
            Err(JvmArgsError::NotTheDriver(_))
        ));
        assert!(matches!(
            JvmDriverArgs::parse(&[DRIVER_MAIN_CLASS, "--daemon"]),
            Err(JvmArgsError::Usage(_))
        ));
        assert!(matches!(
            JvmDriverArgs::parse(&[DRIVER_MAIN_CLASS, "--jar", "j", "--keytab", "k"]),
            Err(JvmArgsError::Usage(_))
        ));
        assert!(matches!(
            JvmDriverArgs::parse(&[DRIVER_MAIN_CLASS, "--jar", "j", "--bogus"]),
            Err(JvmArgsError::Usage(_))
        ));
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
