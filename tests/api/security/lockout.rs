//! Lockout: failed attempts throttle their source, never the key's legitimate holder.
