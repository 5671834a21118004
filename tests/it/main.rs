mod calendar;
mod crash;
mod definition;
mod runtime;
mod scenarios;
mod schedule;
