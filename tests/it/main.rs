mod calendar;
mod definition;
mod runtime;
mod scenarios;
mod schedule;
