//! The administrator's search of the accounts (issue #18): by login or name, role, region
//! and state — active, blocked, locked out for a while after wrong passwords, or still on
//! a temporary password — 50 a page with the total.
//!
//! The filter runs here, over every account of the administrator's region, not in SQL: a
//! name is matched folded to lower case by Rust, so Cyrillic and Kazakh letters fold alike
//! on both databases (SQLite's `lower` folds ASCII only), and an office has hundreds of
//! staff accounts, not millions. The same reason as `store::search`'s folded names.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Account, Role, Status};

/// Accounts on a page.
pub const PAGE: usize = 50;

/// The state an administrator searches by; each account is in exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Signs in, with a password of its own.
    Active,
    /// Blocked (seeds/003 item 28): only a new request activates it.
    Blocked,
    /// Active, but a source is locked out of it after wrong passwords, until a time.
    Locked,
    /// Active, still on its temporary password (seeds/003 item 24).
    MustChangePassword,
}

impl State {
    /// Every state, in the order the search form offers them.
    pub const ALL: [State; 4] = [
        State::Active,
        State::Locked,
        State::MustChangePassword,
        State::Blocked,
    ];

    /// The name in a URL and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Blocked => "blocked",
            State::Locked => "locked",
            State::MustChangePassword => "must_change_password",
        }
    }

    /// The name back; `None` for anything else.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The state of `account`, locked out until `locked_until` if that is given.
    pub fn of(account: &Account, locked_until: Option<DateTime<Utc>>) -> State {
        match account.status {
            Status::Blocked { .. } => State::Blocked,
            Status::Active if locked_until.is_some() => State::Locked,
            Status::Active if account.must_change_password => State::MustChangePassword,
            Status::Active => State::Active,
        }
    }
}

/// What the administrator searches for; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// A part of the login or of the full name, in any case.
    pub q: Option<String>,
    /// Has this role.
    pub role: Option<Role>,
    /// Works in this region (exactly; `kz` is the republic's accounts).
    pub region: Option<String>,
    /// Is in this state.
    pub state: Option<State>,
}

/// An account as listed: with its lock, if a source is locked out of it now.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The account.
    pub account: Account,
    /// Until when a source is locked out of it (the latest of its sources' locks).
    pub locked_until: Option<DateTime<Utc>>,
    /// Its state.
    pub state: State,
}

/// One page of what a search found.
#[derive(Debug, Clone)]
pub struct Page {
    /// The accounts of the page, by login.
    pub accounts: Vec<Listed>,
    /// How many the search found in all.
    pub total: usize,
    /// This page's number, from 1.
    pub page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
}

/// Whether `listed` answers `query`.
pub fn matches(listed: &Listed, query: &Query) -> bool {
    let a = &listed.account;
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let q = q.to_lowercase();
        if !a.login.contains(&q) && !a.full_name.to_lowercase().contains(&q) {
            return false;
        }
    }
    query.role.is_none_or(|r| a.has_role(r))
        && query
            .region
            .as_deref()
            .is_none_or(|r| a.region.eq_ignore_ascii_case(r.trim()))
        && query.state.is_none_or(|s| s == listed.state)
}

/// The accounts `visible` (the administrator's region's) that answer `query`, each with
/// its lock from `locks`; page `page` of them (`None`: all of them on one page).
pub fn search(
    visible: Vec<Account>,
    locks: &HashMap<i64, DateTime<Utc>>,
    query: &Query,
    page: Option<usize>,
) -> Page {
    let found: Vec<Listed> = visible
        .into_iter()
        .map(|account| {
            let locked_until = locks.get(&account.id).copied();
            Listed {
                state: State::of(&account, locked_until),
                account,
                locked_until,
            }
        })
        .filter(|l| matches(l, query))
        .collect();
    let total = found.len();
    match page {
        None => Page {
            accounts: found,
            total,
            page: 1,
            pages: 1,
        },
        Some(page) => {
            let pages = total.div_ceil(PAGE).max(1);
            let page = page.clamp(1, pages);
            Page {
                accounts: found
                    .into_iter()
                    .skip((page - 1) * PAGE)
                    .take(PAGE)
                    .collect(),
                total,
                page,
                pages,
            }
        }
    }
}
