//! Tagged values.
