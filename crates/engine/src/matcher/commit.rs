//! One batch, one transaction, in the order of docs/engine.md "What one batch commits": the
//! ledger, the orders' progress, the fills and prints, the events, and last the fence.

use std::collections::{BTreeMap, BTreeSet};

use store::balances::{lock_balances, write_balances};
use store::fills::insert_fills;
use store::matching::{advance_seq, insert_market_events, insert_trades, write_order_progress};
use store::positions::{lock_positions, write_positions};
use store::Store;
use types::balance::{Asset, Balance};
use types::{TokenId, Wallet};

use super::batch::Batch;
use crate::handle::EngineError;
use crate::ledger::apply;

pub(super) async fn commit(store: &Store, batch: &Batch) -> Result<(), EngineError> {
    let mut conn = store.write_connection().await?;
    let mut tx = conn.begin().await?;
    let result = write(&mut tx, batch).await;
    tx.finish(result).await
}

async fn write(tx: &mut store::Tx<'_>, batch: &Batch) -> Result<(), EngineError> {
    let pairs: BTreeSet<(Wallet, Asset)> = batch.moves.iter().filter_map(|m| m.balance()).collect();
    let pairs: Vec<_> = pairs.into_iter().collect();
    let mut balances: BTreeMap<(Wallet, Asset), Balance> =
        lock_balances(tx, &pairs).await?.into_iter().collect();
    for pair in &pairs {
        balances.entry(*pair).or_default();
    }
    let position_keys: BTreeSet<(Wallet, TokenId)> = batch
        .moves
        .iter()
        .filter_map(|m| m.position())
        .map(|p| (p.wallet, p.token))
        .collect();
    let position_keys: Vec<_> = position_keys.into_iter().collect();
    let mut positions = lock_positions(tx, &position_keys).await?;
    apply(&batch.moves, &mut balances, &mut positions)?;
    write_balances(tx, &balances, batch.now).await?;
    let positions: Vec<_> = positions.into_values().collect();
    write_positions(tx, &positions, batch.now).await?;
    let progress: Vec<_> = batch.progress.values().copied().collect();
    write_order_progress(tx, &progress, batch.now).await?;
    insert_fills(tx, &batch.fills).await?;
    insert_trades(tx, &batch.trades).await?;
    insert_market_events(
        tx,
        &batch.market,
        batch.seq,
        &batch.published().to_json(),
        batch.now,
    )
    .await?;
    advance_seq(tx, &batch.market, batch.seq - 1).await?;
    Ok(())
}
