//! Malformed JSON is an error, never a wider action.
