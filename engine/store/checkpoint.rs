//! The checkpoints of an SQLite file's write-ahead log, made beside the writer, not by it.
//!
//! Why: SQLite's default is that the commit which grows the log past 1,000 pages copies the
//! log into the database file and waits for that file's `fsync` before it returns. That
//! commit is the writer's: every transition of its batch, and every command queued behind
//! it, waits some tens of milliseconds longer, a few times a second under load. It was the
//! largest part of the slowest transitions (`BENCHMARKS.md`).
//!
//! So the engine's writer opens its connection with the automatic checkpoint off
//! ([`Connector::without_autocheckpoint`]) and tells a [`Checkpointer`] of each commit; the
//! checkpointer's task, on a connection of its own (and so, in sqlx, a thread of its own),
//! makes a `PASSIVE` checkpoint after a commit, at most one every [`PAUSE`]. That is the
//! checkpoint the commit made before, made elsewhere: `PASSIVE` neither waits for the writer
//! nor holds it up, and SQLite's own rule still restarts the log from its beginning at the
//! writer's next transaction once a checkpoint has copied all of it, so the `-wal` file
//! stays about as large as what is written between two checkpoints.
//!
//! Only the engine's writer runs so. Every other connection that writes (a command of the
//! CLI, an import) keeps SQLite's automatic checkpoint. PostgreSQL checkpoints by itself.

use std::time::Duration;

use tokio::sync::mpsc;

use super::Error;
use super::backend::{Connector, on};

/// The least time between two checkpoints. Under load SQLite's own 1,000 pages are a few of
/// the writer's batches, so its checkpoints came about this often; at most one every 500 ms
/// did no better at 900 cases/s (`BENCHMARKS.md`), and the longer the pause, the larger the
/// log between two checkpoints.
pub const PAUSE: Duration = Duration::from_millis(100);

/// The writer's side: told of each commit. Dropped with the writer, it ends the task.
#[derive(Debug, Clone)]
pub struct Checkpointer(mpsc::Sender<()>);

impl Checkpointer {
    /// Starts the checkpoints of the database `connector` opens, on a connection of their
    /// own; `None` for PostgreSQL, which needs none.
    pub fn start(connector: &Connector) -> Option<Checkpointer> {
        if !connector.is_sqlite() {
            return None;
        }
        // One waiting wake-up is enough: commits while a checkpoint runs are all in the next.
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(run(connector.clone(), rx));
        Some(Checkpointer(tx))
    }

    /// A transaction was committed: the log has grown.
    pub fn committed(&self) {
        // Full: a checkpoint is already due, and it will take this commit too.
        let _ = self.0.try_send(());
    }
}

async fn run(connector: Connector, mut commits: mpsc::Receiver<()>) {
    let mut conn = None;
    while commits.recv().await.is_some() {
        if conn.is_none() {
            match connector.connect().await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "opening the checkpoints' connection failed; the next commit tries again")
                }
            }
        }
        if let Some(c) = conn.as_mut()
            && let Err(e) = passive(c).await
        {
            // A full disk or an I/O error: the log keeps what the checkpoint did not copy,
            // and the next one copies it. A fresh connection is opened for it.
            tracing::warn!(error = %e, "a checkpoint of the write-ahead log failed");
            conn = None;
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// Copies into the database file what of the log no reader still needs.
async fn passive(conn: &mut super::Conn) -> Result<(), Error> {
    on!(conn, |c| {
        if !POSTGRES {
            sqlx::query("pragma wal_checkpoint(PASSIVE)")
                .fetch_one(&mut *c)
                .await?;
        }
        Ok(())
    })
}
