mod calendar;
mod definition;
mod runtime;
