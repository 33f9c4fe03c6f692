//! sanctions-score
