//! sanctions-engine
