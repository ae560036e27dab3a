//! Telling a full disk from a damaged database, and finding stored text that is not UTF-8.
//!
//! SQLite reports a full disk as `SQLITE_FULL` when a page write fails, but as a plain
//! `SQLITE_IOERR` when growing the `-shm`/`-wal` file fails (which is what opening a WAL
//! database on a full disk meets first). Neither means the database is damaged, so neither may
//! end in "restore it from a backup".

use std::path::{Path, PathBuf};

use rusqlite::ffi::ErrorCode;

/// Below this many free bytes an unexplained SQLite I/O error is taken to be the full disk.
const NEARLY_FULL: u64 = 1 << 20;

/// The disk (or the user's quota) holding `folder` has no room left.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the disk holding {} is full ({}); free space and retry (the files there are sound and were left as they were)",
    folder.display(),
    FreeText(*free)
)]
pub struct DiskFull {
    pub folder: PathBuf,
    /// Bytes free to this user, when the file system says.
    pub free: Option<u64>,
}

impl DiskFull {
    /// The error for a write under `path` (a file or a folder) that found no room.
    pub fn at(path: &Path) -> Self {
        let folder = if path.is_dir() {
            path.to_owned()
        } else {
            path.parent()
                .map_or_else(|| path.to_owned(), Path::to_owned)
        };
        let free = free_bytes(&folder);
        Self { folder, free }
    }
}

struct FreeText(Option<u64>);

impl std::fmt::Display for FreeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n} bytes free"),
            None => f.write_str("free space unknown"),
        }
    }
}

/// Bytes free to this user on the file system holding `path` (or its nearest existing folder).
pub fn free_bytes(path: &Path) -> Option<u64> {
    path.ancestors()
        .find(|p| p.exists())
        .and_then(|p| fs4::available_space(p).ok())
}

/// ENOSPC and EDQUOT: the disk or the user's quota is full.
pub fn io_is_full(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || matches!(err.raw_os_error(), Some(28 | 122))
}

/// Whether `err` or any error beneath it is a full disk (libraries wrap the OS error).
pub fn chain_is_full(err: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(err), |e| e.source())
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(io_is_full))
}

/// Whether `err`, met on the database in `folder`, means the disk is full.
pub fn sqlite_is_full(err: &rusqlite::Error, folder: &Path) -> bool {
    match err.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => true,
        Some(ErrorCode::SystemIoFailure) => free_bytes(folder).is_some_and(|f| f < NEARLY_FULL),
        _ => false,
    }
}

/// Removes `path` when it is an empty file (one that SQLite created and never wrote).
pub(crate) fn remove_if_empty(path: &Path) {
    if path.metadata().is_ok_and(|m| m.is_file() && m.len() == 0) {
        let _ = std::fs::remove_file(path);
    }
}

/// A text cell SQLite holds that is not UTF-8 (written by another tool or a damaged page).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} row {row}, column {column}: the stored text is not valid UTF-8")]
pub struct BadText {
    pub table: String,
    pub row: i64,
    pub column: String,
}

/// Reads text column `idx` of a row whose id is `row`, naming the row when it is not UTF-8;
/// [`bad_text`] finds the name again in the rusqlite error.
pub fn text_cell<T: rusqlite::types::FromSql>(
    r: &rusqlite::Row<'_>,
    idx: usize,
    table: &str,
    column: &str,
    row: i64,
) -> rusqlite::Result<T> {
    r.get(idx).map_err(|e| match e {
        rusqlite::Error::FromSqlConversionFailure(i, ty, inner) if is_utf8(&*inner) => {
            rusqlite::Error::FromSqlConversionFailure(
                i,
                ty,
                Box::new(BadText {
                    table: table.to_owned(),
                    row,
                    column: column.to_owned(),
                }),
            )
        }
        rusqlite::Error::Utf8Error(..) => rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            Box::new(BadText {
                table: table.to_owned(),
                row,
                column: column.to_owned(),
            }),
        ),
        other => other,
    })
}

pub(crate) fn is_utf8(err: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    err.is::<std::str::Utf8Error>() || err.is::<std::string::FromUtf8Error>()
}

/// The row named by [`text_cell`], when `err` came from one.
pub fn bad_text(err: &rusqlite::Error) -> Option<&BadText> {
    match err {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => inner.downcast_ref::<BadText>(),
        _ => None,
    }
}

/// Every text cell of every table that is not valid UTF-8, as table, row id and column.
pub fn scan_text(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<BadText>> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for column in columns {
            // Only cells stored as text can hold bad UTF-8; tables without rowid have none.
            let sql = format!(
                "SELECT rowid, CAST(\"{column}\" AS BLOB) FROM \"{table}\" WHERE typeof(\"{column}\") = 'text'"
            );
            let Ok(mut stmt) = conn.prepare(&sql) else {
                continue;
            };
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let bytes = r.get_ref(1)?.as_bytes().unwrap_or_default();
                if std::str::from_utf8(bytes).is_err() {
                    found.push(BadText {
                        table: table.clone(),
                        row: r.get(0)?,
                        column: column.clone(),
                    });
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_and_storage_full_are_a_full_disk() {
        assert!(io_is_full(&std::io::Error::from_raw_os_error(28)));
        assert!(io_is_full(&std::io::Error::from(
            std::io::ErrorKind::StorageFull
        )));
        assert!(!io_is_full(&std::io::Error::from(
            std::io::ErrorKind::PermissionDenied
        )));
    }

    #[test]
    fn sqlite_full_is_a_full_disk_and_other_codes_are_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert!(sqlite_is_full(&full, dir.path()));
        let corrupt = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        );
        assert!(!sqlite_is_full(&corrupt, dir.path()));
    }

    #[test]
    fn the_store_calls_an_injected_full_disk_full_not_corrupt() {
        use crate::store::StoreError;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let err = crate::store::classify(&path, full);
        assert!(matches!(err, StoreError::DiskFull { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("is full") && text.contains("bytes free"),
            "{text}"
        );
        assert!(!text.contains("backup"), "{text}");
    }

    #[test]
    fn text_that_is_not_utf8_is_never_called_corrupt() {
        use crate::store::StoreError;
        let bytes = vec![0xC3, 0x28];
        let utf8 = std::str::from_utf8(&bytes).expect_err("bad utf-8");
        let err = rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            Box::new(utf8),
        );
        let err = crate::store::classify(std::path::Path::new("dezgah.db"), err);
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("workspace check"), "{err}");
    }

    #[test]
    fn an_empty_database_file_is_refused_and_kept() {
        use crate::store::{Store, StoreError};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        std::fs::write(&path, b"").expect("write");
        let err = Store::open(&path).expect_err("empty");
        assert!(matches!(err, StoreError::Empty { .. }), "{err}");
        assert!(err.to_string().contains("is empty (0 bytes)"), "{err}");
        assert_eq!(std::fs::metadata(&path).expect("stat").len(), 0);
    }

    #[test]
    fn the_message_names_the_folder_and_the_free_bytes() {
        let err = DiskFull {
            folder: PathBuf::from("/data/ws"),
            free: Some(4096),
        };
        let text = err.to_string();
        assert!(
            text.contains("/data/ws is full (4096 bytes free)"),
            "{text}"
        );
        assert!(!text.contains("backup"), "{text}");
    }

    #[test]
    fn bad_utf8_is_found_by_table_row_and_column() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
             INSERT INTO notes (title, body) VALUES ('Salam', 'düz');
             INSERT INTO notes (title, body) VALUES ('İkinci', CAST(X'C328' AS TEXT));",
        )
        .expect("setup");
        let found = scan_text(&conn).expect("scan");
        assert_eq!(
            found,
            vec![BadText {
                table: "notes".into(),
                row: 2,
                column: "body".into()
            }]
        );
        let err = conn
            .query_row("SELECT id, body FROM notes WHERE id = 2", [], |r| {
                let id: i64 = r.get(0)?;
                text_cell::<String>(r, 1, "notes", "body", id)
            })
            .expect_err("bad text");
        assert_eq!(bad_text(&err), Some(&found[0]));
    }
}
