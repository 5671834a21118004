mod calendar;
mod definition;
