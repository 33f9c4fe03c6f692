//! sanctions-index
