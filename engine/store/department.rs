//! What a head of department's page reads and what moving a task writes (issue #18): the
//! counts over the open tasks of the roles she supervises, each clerk's load, and the one
//! statement that changes a task's assignee only if nobody changed it first.
//!
//! The list of tasks itself is [`super::Store::task_page`], with the supervised roles as its
//! roles: one query of open tasks for the queues and the department alike.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::backend::{Conn, on};
use super::{Error, Store};
use crate::runtime::{Actor, Job, Work};

/// Which open tasks a department is: those of these roles, in this region (`None`: every
/// region, for an account of the whole republic).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The supervised roles; never empty (an empty list selects nothing).
    pub roles: &'a [String],
    /// The region.
    pub region: Option<&'a str>,
    /// Now: what is overdue.
    pub now: DateTime<Utc>,
    /// The Almaty day of `now`, its first and last instants: what is due today.
    pub today: (DateTime<Utc>, DateTime<Utc>),
}

/// The numbers at the top of the department's page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Open and claimed tasks.
    pub open: u64,
    /// Of them, past their due time.
    pub overdue: u64,
    /// Of them, due today in Almaty (past their time today or not).
    pub due_today: u64,
    /// Of them, claimed by nobody.
    pub unassigned: u64,
    /// The escalation rungs that fired on them (each `escalated` history line of a task's
    /// step since the task was created): reminders, notices and moves to another role.
    pub escalations: u64,
}

/// One clerk's claimed tasks in the department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// The login.
    pub assignee: String,
    /// Claimed tasks.
    pub claimed: u64,
    /// Of them, overdue.
    pub overdue: u64,
    /// Of them, due today.
    pub due_today: u64,
}

/// The `role in (…) [and region = ?]` part of a scope, with its values in order.
fn scope_filter(scope: &Scope<'_>, column: &str) -> (String, Vec<String>) {
    let marks = vec!["?"; scope.roles.len()].join(", ");
    let mut sql = format!("{column}role in ({marks})");
    let mut binds: Vec<String> = scope.roles.to_vec();
    if let Some(region) = scope.region {
        sql.push_str(&format!(" and {column}region = ?"));
        binds.push(region.to_string());
    }
    (sql, binds)
}

impl Store {
    /// The counts of a department's open tasks, in two statements (the tasks, from the
    /// `tasks_open` index; the escalations, from each task's case's history).
    pub async fn department_counts(&self, scope: &Scope<'_>) -> Result<Counts, Error> {
        if scope.roles.is_empty() {
            return Ok(Counts::default());
        }
        let (filter, binds) = scope_filter(scope, "");
        let tasks = format!(
            "select count(*), \
             coalesce(sum(case when due_at < ? then 1 else 0 end), 0), \
             coalesce(sum(case when due_at >= ? and due_at <= ? then 1 else 0 end), 0), \
             coalesce(sum(case when assignee is null then 1 else 0 end), 0) \
             from tasks where status in ('open', 'claimed') and {filter}"
        );
        let (filter, binds_t) = scope_filter(scope, "t.");
        let escalations = format!(
            "select count(*) from tasks t join history h on h.case_id = t.case_id \
             and h.step = t.step and h.kind = 'escalated' and h.at >= t.created_at \
             where t.status in ('open', 'claimed') and {filter}"
        );
        on!(self.pool, |p| {
            let mut q = sqlx::query(sql_owned(tasks))
                .bind(bind_ts(scope.now))
                .bind(bind_ts(scope.today.0))
                .bind(bind_ts(scope.today.1));
            for b in &binds {
                q = q.bind(b.as_str());
            }
            let r = q.fetch_one(p).await?;
            let n = |i: usize| -> Result<u64, Error> { Ok(r.try_get::<i64, _>(i)?.max(0) as u64) };
            let mut counts = Counts {
                open: n(0)?,
                overdue: n(1)?,
                due_today: n(2)?,
                unassigned: n(3)?,
                escalations: 0,
            };
            let mut q = sqlx::query(sql_owned(escalations));
            for b in &binds_t {
                q = q.bind(b.as_str());
            }
            let r = q.fetch_one(p).await?;
            counts.escalations = r.try_get::<i64, _>(0)?.max(0) as u64;
            Ok(counts)
        })
    }

    /// Each clerk's claimed tasks in a department, by login.
    pub async fn department_load(&self, scope: &Scope<'_>) -> Result<Vec<Load>, Error> {
        if scope.roles.is_empty() {
            return Ok(Vec::new());
        }
        let (filter, binds) = scope_filter(scope, "");
        let text = format!(
            "select assignee, count(*), \
             coalesce(sum(case when due_at < ? then 1 else 0 end), 0), \
             coalesce(sum(case when due_at >= ? and due_at <= ? then 1 else 0 end), 0) \
             from tasks where status in ('open', 'claimed') and status = 'claimed' \
             and assignee is not null and {filter} group by assignee order by assignee"
        );
        on!(self.pool, |p| {
            let mut q = sqlx::query(sql_owned(text))
                .bind(bind_ts(scope.now))
                .bind(bind_ts(scope.today.0))
                .bind(bind_ts(scope.today.1));
            for b in &binds {
                q = q.bind(b.as_str());
            }
            let rows = q.fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    Ok(Load {
                        assignee: r.try_get(0)?,
                        claimed: r.try_get::<i64, _>(1)?.max(0) as u64,
                        overdue: r.try_get::<i64, _>(2)?.max(0) as u64,
                        due_today: r.try_get::<i64, _>(3)?.max(0) as u64,
                    })
                })
                .collect()
        })
    }
}

/// Gives open task `key` to `to` (claimed), or back to the queue (`None`), only if its
/// assignee is still `from` (`None`: nobody): a task completed, claimed or moved by someone
/// else since the caller looked is left as it is. Returns the task's case id, `None` when
/// nothing was changed.
pub async fn move_task(
    conn: &mut Conn,
    key: &str,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, Error> {
    let status = if to.is_some() { "claimed" } else { "open" };
    on!(conn, |c| {
        let row = sqlx::query(pick(
            "update tasks set status = ?1, assignee = ?2, updated_at = ?3 \
             where key = ?4 and status in ('open', 'claimed') and assignee is ?5 \
             returning case_id",
            "update tasks set status = ?1, assignee = ?2, updated_at = ?3 \
             where key = ?4 and status in ('open', 'claimed') and assignee is not distinct from ?5 \
             returning case_id",
        ))
        .bind(status)
        .bind(to)
        .bind(bind_ts(now))
        .bind(key)
        .bind(from)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| r.try_get::<i64, _>(0))
            .transpose()
            .map_err(Error::from)
    })
}

/// Appends a line about step `step` to a case's history outside a transition (a task moved
/// by a head of department), after the lines of its latest transition.
pub async fn note_at_step(
    conn: &mut Conn,
    case_id: i64,
    actor: &Actor,
    kind: &str,
    step: &str,
    detail: &Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on!(conn, |c| {
        sqlx::query(sql(
            "insert into history (case_id, seq, n, at, actor, kind, step, detail, evidence, created_at, updated_at) \
             select c.id, c.seq, coalesce((select max(n) + 1 from history h where h.case_id = c.id and h.seq = c.seq), 0), \
                    ?2, ?3, ?4, ?5, ?6, null, ?2, ?2 from cases c where c.id = ?1",
        ))
        .bind(case_id)
        .bind(bind_ts(now))
        .bind(bind_json(actor))
        .bind(kind)
        .bind(step)
        .bind(bind_json(detail))
        .execute(&mut *c)
        .await?;
        Ok(())
    })
}

/// Queues a notice of a case outside a transition, due now: performed after the commit by
/// the job loop, once, like every job.
pub async fn enqueue_notice(
    conn: &mut Conn,
    case_id: i64,
    job: &Job,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    debug_assert!(matches!(job.work, Work::Notify { .. }));
    conn.made_work();
    on!(conn, |c| {
        sqlx::query(sql("insert into jobs (key, case_id, kind, work, status, next_at, created_at, updated_at) values (?, ?, 'notify', ?, 'pending', ?, ?, ?)"))
            .bind(&job.key)
            .bind(case_id)
            .bind(bind_json(&job.work))
            .bind(bind_ts(now))
            .bind(bind_ts(now))
            .bind(bind_ts(now))
            .execute(&mut *c)
            .await?;
        Ok(())
    })
}
