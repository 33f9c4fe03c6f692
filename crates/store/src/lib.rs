//! sanctions-store
