mod calendar;
mod crash;
mod definition;
mod notify;
mod runtime;
mod scenarios;
mod schedule;
