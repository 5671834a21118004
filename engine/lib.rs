//! qyzmet: a durable workflow engine for the state services of Kazakhstan's
//! Ministry of Labour and Social Protection.
//!
//! See `ARCHITECTURE.md` at the repository root for the map of the modules.

pub mod accounts;
pub mod api;
pub mod archive;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod compliance;
pub mod definition;
pub mod diagnostic;
pub mod document;
pub mod domain;
pub mod gateway;
pub mod mass_event;
pub mod money;
pub mod notify;
pub mod runtime;
pub mod scenario;
pub mod schedule;
pub mod service;
pub mod service_cases;
pub mod signature;
pub mod store;
pub mod telemetry;
pub mod uploads;
pub mod wave;
pub mod web;
pub mod worker;
pub mod yaml;
