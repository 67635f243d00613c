//! Accepting validated orders: the duplicate check against stored hashes, the balance
//! reservation (the spendable rule, [`reservations`]) and the insert of the order rows, with
//! the idempotent responses, in one transaction for a whole group of requests
//! (docs/orders.md, "Acceptance and group commit").
//!
//! The caller has run every stateless rule; what is left needs the database and is decided
//! here, order by order in submission order, so each reservation sees what the earlier orders
//! of the group (its own batch and the requests committed with it) left available. The store
//! only carries the decisions out.

mod locking;
mod optimistic;
pub mod reservations;

use store::acceptance::Submission;
use store::Store;
use types::Timestamp;

pub use reservations::{Holdings, Outcomes, Refusal};

use crate::error::GroupCommitError;

/// Accepts a group of submissions in one transaction and returns each one's outcomes.
///
/// `holdings` overrides the ledger for the (wallet, asset) pairs it names (see [`Holdings`]).
/// `render(i, outcomes)` gives the response to keep for submission `i`'s idempotency key; it
/// is called before the transaction commits, so the stored response describes exactly what
/// commits. On any error nothing of the group is stored or reserved.
pub async fn accept_group<R>(
    store: &Store,
    submissions: &[Submission],
    holdings: &Holdings,
    now: Timestamp,
    render: R,
) -> Result<Vec<Outcomes>, GroupCommitError>
where
    R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, String>,
{
    if holdings.is_empty() {
        if let Some(outcomes) =
            optimistic::accept_optimistically(store, submissions, now, &render).await?
        {
            return Ok(outcomes);
        }
    }
    locking::accept_locking(store, submissions, holdings, now, &render).await
}
