mod calendar;
mod definition;
mod runtime;
mod schedule;
