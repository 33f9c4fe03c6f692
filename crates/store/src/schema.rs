//! Connection settings and schema migrations.
//!
//! Migrations are the files `migrations/NNNN_name.sql`, listed in [`MIGRATIONS`] in order.
//! The number of migrations applied is kept in `PRAGMA user_version`. Opening a store applies
//! the missing ones in one transaction, and refuses a database whose version is higher than
//! this build knows ([`Error::SchemaTooNew`]). Adding a table is adding a file and one line.

use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// One schema migration.
pub(crate) struct Migration {
    /// Its name (the file stem), for messages.
    pub(crate) name: &'static str,
    /// The SQL, run as one batch.
    pub(crate) sql: &'static str,
}

/// Every migration, in order. Migration `i` (0-based) brings the schema to version `i + 1`.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_init", sql: include_str!("../migrations/0001_init.sql") },
    Migration { name: "0002_monitoring", sql: include_str!("../migrations/0002_monitoring.sql") },
    Migration { name: "0003_exemptions", sql: include_str!("../migrations/0003_exemptions.sql") },
    Migration {
        name: "0004_customer_index",
        sql: include_str!("../migrations/0004_customer_index.sql"),
    },
    Migration {
        name: "0005_customer_index_run",
        sql: include_str!("../migrations/0005_customer_index_run.sql"),
    },
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a connection waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Applies the connection settings every store connection uses.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Returns the resulting mode: "wal" for files, "memory" for in-memory databases.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// The schema version stored in the database.
pub(crate) fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the schema up to [`SCHEMA_VERSION`], or refuses a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_with(conn, MIGRATIONS)
}

fn migrate_with(conn: &mut Connection, migrations: &[Migration]) -> Result<()> {
    let supported = migrations.len() as i64;
    let found = user_version(conn)?;
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    if found == supported {
        return Ok(());
    }
    // IMMEDIATE takes the write lock at once, so that two processes opening the same new
    // file do not both run the migrations; re-read the version under the lock.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = user_version(&tx)?;
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    for (i, m) in migrations.iter().enumerate().skip(found as usize) {
        tx.execute_batch(m.sql).map_err(|error| Error::Migration { migration: m.name, error })?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn migrations_apply_in_order_and_only_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        let first = &MIGRATIONS[..1];
        migrate_with(&mut conn, first).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 1);
        assert_eq!(tables(&conn), ["revision", "version", "version_entry"]);

        // A later release adds a table: only the new migration runs.
        let later = [
            Migration { name: "0001_init", sql: MIGRATIONS[0].sql },
            Migration {
                name: "0002_customer",
                sql: "CREATE TABLE customer (id INTEGER PRIMARY KEY);",
            },
        ];
        migrate_with(&mut conn, &later).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 2);
        assert!(tables(&conn).contains(&"customer".to_string()));
        migrate_with(&mut conn, &later).unwrap();

        // This build no longer understands the database.
        let err = migrate_with(&mut conn, first).unwrap_err();
        assert!(matches!(err, Error::SchemaTooNew { found: 2, supported: 1 }), "{err:?}");
    }

    #[test]
    fn failing_migration_leaves_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        let bad = [
            Migration { name: "0001_init", sql: MIGRATIONS[0].sql },
            Migration { name: "0002_bad", sql: "CREATE TABLE x (id INTEGER); SELECT nope FROM y;" },
        ];
        let err = migrate_with(&mut conn, &bad).unwrap_err();
        assert!(matches!(err, Error::Migration { migration: "0002_bad", .. }), "{err:?}");
        assert_eq!(user_version(&conn).unwrap(), 0);
        assert!(tables(&conn).is_empty());
    }
}
