//! Input that cannot be stored is refused at the edge; an unreadable row never stops start-up.
