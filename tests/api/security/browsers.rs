//! Browsers: the CORS allow-list, preflight and HEAD on every GET route.
