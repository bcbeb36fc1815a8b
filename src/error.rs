//! Errors a person has to act on: each names the file (and for TOML the
//! line and column) and says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum Error {
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    Invalid {
        path: PathBuf,
        message: String,
    },
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    ReadOnly {
        path: PathBuf,
    },
    LockHeld {
        path: PathBuf,
        holder: String,
    },
    UnknownPreset {
        name: String,
        known: String,
    },
    Registry(crate::registry::RegistryNameError),
    Endpoint(crate::endpoint::EndpointError),
    /// A value that cannot go where it is headed (a systemd unit, TOML,
    /// JSON), named by where it came from: the same rule gives the same
    /// message from a flag, a profile or a wizard field.
    BadValue {
        origin: Origin,
        message: String,
    },
    /// A target changed between the plan and the lock (another apply,
    /// an admin's edit): nothing was written.
    NodeChanged {
        paths: Vec<PathBuf>,
    },
    /// A write failed half-way; `restored` says what is back.
    WriteFailed {
        why: String,
        dir: PathBuf,
        restored: String,
    },
    /// containerd did not come back healthy and the files were rolled back.
    RolledBack {
        why: String,
        dir: PathBuf,
        restored: String,
        healthy: bool,
    },
    /// Neither flags nor a profile chose anything to change.
    NothingSelected,
    Usage(String),
    Other(String),
}

// The text is the catalog's, in the language of the thread that shows it.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::Toml {
                path,
                line,
                column,
                message,
            } => crate::t!(
                "errors.toml",
                path = path.display(),
                line = line,
                column = column,
                message = message
            ),
            Error::Invalid { path, message } => format!("{}: {message}", path.display()),
            Error::Io { path, source } => format!("{}: {source}", path.display()),
            Error::NotWritable { path, source } => crate::t!(
                "errors.not_writable",
                path = path.display(),
                source = source
            ),
            Error::ReadOnly { path } => crate::t!("errors.read_only", path = path.display()),
            Error::LockHeld { path, holder } => {
                crate::t!("errors.lock_held", path = path.display(), holder = holder)
            }
            Error::UnknownPreset { name, known } => {
                crate::t!(
                    "errors.unknown_preset",
                    name = format!("{name:?}"),
                    known = known
                )
            }
            Error::Registry(e) => e.to_string(),
            Error::Endpoint(e) => e.to_string(),
            Error::BadValue { origin, message } => format!("{origin}: {message}"),
            Error::NodeChanged { paths } => crate::t!(
                "errors.node_changed",
                paths = paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Error::WriteFailed { why, dir, restored } => crate::t!(
                "apply.write_failed",
                error = why,
                dir = dir.display(),
                restored = restored
            ),
            Error::RolledBack {
                why,
                dir,
                restored,
                healthy,
            } => crate::t!(
                "apply.rolled_back",
                why = why,
                dir = dir.display(),
                restored = restored,
                after = if *healthy {
                    crate::t!("apply.rollback_healthy")
                } else {
                    crate::t!("apply.rollback_unhealthy")
                }
            ),
            Error::NothingSelected => crate::t!("cli.nothing_selected").into(),
            Error::Usage(m) | Error::Other(m) => m.clone(),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::NotWritable { source, .. } => Some(source),
            Error::Registry(e) => Some(e),
            Error::Endpoint(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::registry::RegistryNameError> for Error {
    fn from(e: crate::registry::RegistryNameError) -> Self {
        Error::Registry(e)
    }
}

impl From<crate::endpoint::EndpointError> for Error {
    fn from(e: crate::endpoint::EndpointError) -> Self {
        Error::Endpoint(e)
    }
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        let path = path.as_ref().to_path_buf();
        if source.raw_os_error() == Some(libc::EROFS) {
            Error::ReadOnly { path }
        } else if source.kind() == std::io::ErrorKind::PermissionDenied {
            Error::NotWritable { path, source }
        } else {
            Error::Io { path, source }
        }
    }

    /// A TOML parse error at a byte offset, turned into a 1-based line and
    /// column of `text`.
    pub fn toml(path: impl AsRef<Path>, text: &str, offset: Option<usize>, message: &str) -> Self {
        let (line, column) = line_col(text, offset.unwrap_or(0));
        // toml_edit's message repeats the position and a source excerpt;
        // keep only its first line of explanation.
        let message = message
            .lines()
            .map(str::trim)
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("TOML parse error") // i18n: toml_edit's text
                    && !l.contains('|')
                    && !l.starts_with('^')
            })
            .collect::<Vec<_>>()
            .join("; ");
        Error::Toml {
            path: path.as_ref().to_path_buf(),
            line,
            column,
            message,
        }
    }

    /// Usage errors exit 2; everything else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::NothingSelected
            | Error::BadValue { .. }
            | Error::UnknownPreset { .. }
            | Error::Registry(_)
            | Error::Endpoint(_) => 2,
            _ => 1,
        }
    }
}

/// Where a value was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, e.g. `--no-proxy`.
    Flag(&'static str),
    /// A key of a profile file, at a 1-based line and column.
    Profile {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A wizard field, by its label.
    Field(String),
}

impl Origin {
    /// A profile key at a byte offset of the file's text.
    pub fn profile(path: &Path, text: &str, offset: usize) -> Origin {
        let (line, column) = line_col(text, offset);
        Origin::Profile {
            path: path.to_path_buf(),
            line,
            column,
        }
    }

    pub fn error(self, message: impl Into<String>) -> Error {
        Error::BadValue {
            origin: self,
            message: message.into(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => f.write_str(flag),
            Origin::Profile { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Origin::Field(label) => f.write_str(label),
        }
    }
}

pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(super::line_col("a\nbc\nd", 0), (1, 1));
        assert_eq!(super::line_col("a\nbc\nd", 3), (2, 2));
        assert_eq!(super::line_col("a\nbc\nd", 99), (3, 2));
    }
}
