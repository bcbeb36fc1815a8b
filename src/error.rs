//! Errors a person has to act on: each names the file (and for TOML the
//! line and column) and says what to do.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}:{line}:{column}: {message}\n  fix the file (or restore it from a backup) and run ctrwiz again; nothing was written")]
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path} is not writable for this user: {source}\n  run ctrwiz with sudo, or use --root DIR to write into another tree")]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path} is on a read-only filesystem: remount it read-write, or use --root DIR to write into another tree; nothing was written")]
    ReadOnly { path: PathBuf },

    #[error("another ctrwiz apply is running (lock {path} is held{holder}); wait for it to finish and try again")]
    LockHeld { path: PathBuf, holder: String },

    #[error("unknown preset {name:?}; known presets: {known}")]
    UnknownPreset { name: String, known: String },

    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryNameError),

    #[error(transparent)]
    Endpoint(#[from] crate::endpoint::EndpointError),

    #[error("{0}")]
    Usage(String),

    #[error("{0}")]
    Other(String),
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
                    && !l.starts_with("TOML parse error")
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
            | Error::UnknownPreset { .. }
            | Error::Registry(_)
            | Error::Endpoint(_) => 2,
            _ => 1,
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
