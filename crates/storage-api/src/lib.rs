//! The wx / my / tt storage facades of mpstore: callbacks, Promises and Sync forms.
