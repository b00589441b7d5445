//! The three metric-line formats, one module each: what a line of the format looks like and
//! the points it becomes. They read their fields with the shared [readers](super::readers).

pub(super) mod datadog;
pub(super) mod emf;
pub(super) mod monitoring;
