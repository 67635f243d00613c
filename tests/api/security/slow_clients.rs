//! Slow clients: the body read is bounded in time, connections are capped per source IP, health keeps answering.
