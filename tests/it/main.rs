mod calendar;
mod crash;
mod definition;
mod engine;
mod notify;
mod runtime;
mod scenarios;
mod schedule;
