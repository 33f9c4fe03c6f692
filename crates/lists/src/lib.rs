//! sanctions-lists
