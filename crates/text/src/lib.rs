//! sanctions-text
