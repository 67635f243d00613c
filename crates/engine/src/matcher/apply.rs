//! Running a batch's commands on the core and turning what they did into the batch: the rules
//! of docs/engine.md "What one batch commits", one event at a time.

use store::fills::{FillRecord, FillRole, FillStatus};
use store::matching::OrderProgress;
use store::orders::OrderRecord;
use store::trades::TradePrint;
use types::balance::Asset;
use types::{OrderHash, OrderStatus, OrderType, Side, Size, Wallet, Wei};

use super::batch::{side_key, Batch};
use super::{Matcher, Tracked};
use crate::core::{
    yes_terms, BookSide, CancelReason, Command, Event, Fill, Leg, MatchKind, NewOrder, OrderUpdate,
    Rounding,
};
use crate::feed::{FillEvent, OrderEvent, SettlementEvent, UserEvent, UserEventKind};
use crate::ids::derived_id;
use crate::ledger::{Move, PositionKey};

impl Matcher {
    /// Runs one command on the core and records what it did.
    pub(super) fn execute(&mut self, command: Command, batch: &mut Batch) {
        let mut events = Vec::new();
        if let Err(e) = self.core.apply(command, &mut events) {
            // Refused commands change nothing; the matcher only sends sound ones, so this is
            // logged as a defect.
            tracing::error!(market = %self.terms.label, error = %e, "the core refused a command");
            return;
        }
        for event in events {
            self.absorb(event, batch);
        }
        // An order with a trade its settlement refused leaves the book (`MATCH_FAILED`).
        let failed_on_book: Vec<OrderHash> = batch
            .failed
            .iter()
            .filter(|h| self.core.book().contains(h))
            .copied()
            .collect();
        for hash in failed_on_book {
            let mut events = Vec::new();
            if self.core.apply(Command::Cancel(hash), &mut events).is_ok() {
                for event in events {
                    self.absorb(event, batch);
                }
            }
        }
    }

    /// Takes an accepted order: matches it (an open market), keeps it for later (a paused
    /// one), or closes it (a closed market, or a `GTD` order whose time has passed).
    pub(super) fn take(&mut self, record: OrderRecord, batch: &mut Batch) {
        let hash = record.order_hash;
        let tracked = Tracked::new(record);
        let order = tracked.new_order();
        self.orders.insert(hash, tracked);
        if !self.status.trades() {
            if self.status.keeps_book() {
                self.deferred.push_back(hash);
            } else {
                self.close_unbooked(hash, OrderStatus::Cancelled, "market_closed", batch);
            }
            return;
        }
        self.emit_order(
            hash,
            UserEventKind::OrderOpened,
            OrderStatus::Open,
            None,
            batch,
        );
        if self.expired(hash, batch.now) {
            self.close_unbooked(hash, OrderStatus::Expired, "expired", batch);
            return;
        }
        if !order.terms_hold(self.core.scale()) {
            // Acceptance checks the same amounts (DRIFTED_AMOUNTS); an order that got past it
            // is closed rather than matched on amounts the core cannot honour.
            tracing::error!(market = %self.terms.label, order = %hash, "an accepted order's signed amounts do not hold");
            self.close_unbooked(hash, OrderStatus::Cancelled, "invalid_terms", batch);
            return;
        }
        self.execute(Command::Place(order), batch);
    }

    fn expired(&self, hash: OrderHash, now: types::Timestamp) -> bool {
        self.orders.get(&hash).is_some_and(|t| {
            t.record.order_type == OrderType::Gtd
                && t.expires_at().is_some_and(|e| e * 1000 <= now.0)
        })
    }

    /// Closes an order that never reached the book.
    pub(super) fn close_unbooked(
        &mut self,
        hash: OrderHash,
        status: OrderStatus,
        reason: &'static str,
        batch: &mut Batch,
    ) {
        let Some(t) = self.orders.get(&hash) else {
            return;
        };
        let update = OrderUpdate {
            order: hash,
            wallet: t.record.wallet,
            filled: t.filled,
            remaining: Size::from_hundredths(t.record.size.hundredths() - t.filled.hundredths()),
            status,
            reason: None,
        };
        self.order_update(update, Some(reason), batch);
    }

    fn absorb(&mut self, event: Event, batch: &mut Batch) {
        match event {
            Event::Fill(fill) => self.fill(&fill, batch),
            Event::Order(update) => {
                let reason = update.reason.map(reason_text);
                self.order_update(update, reason, batch);
            }
            Event::Rested {
                order, priority, ..
            } => {
                if let Some(t) = self.orders.get_mut(&order) {
                    t.priority = Some(priority);
                    if let Some(p) = batch.progress.get_mut(&order) {
                        p.book_priority = Some(priority);
                        p.book_added_at = Some(batch.now);
                    }
                    if t.record.order_type == OrderType::Gtd {
                        if let Some(at) = t.expires_at() {
                            self.expiries.push(std::cmp::Reverse((at, order)));
                        }
                    }
                }
            }
            Event::Level { side, price, size } => {
                batch.levels.insert((side_key(side), price), size);
            }
        }
    }

    /// One trade: settled (ledger moves, fills `CONFIRMED`) or refused by the settlement
    /// (fills `FAILED`, nothing moves, both orders marked failed).
    fn fill(&mut self, fill: &Fill, batch: &mut Batch) {
        let settled = match self.shared.settlement.settle(fill) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(market = %self.terms.label, error = %e, "a trade was not settled");
                false
            }
        };
        let trade_n = batch.next_n();
        let trade_id = derived_id("trade", &batch.market, batch.seq, trade_n);
        let status = if settled {
            FillStatus::Confirmed
        } else {
            FillStatus::Failed
        };
        for (leg, role) in [(fill.maker, FillRole::Maker), (fill.taker, FillRole::Taker)] {
            let n = batch.next_n();
            let fill_id = derived_id("fill", &batch.market, batch.seq, n);
            let Some(t) = self.orders.get_mut(&leg.order) else {
                tracing::error!(order = %leg.order, "a fill names an order the matcher does not track");
                continue;
            };
            t.notional += u128::from(fill.size.hundredths()) * u128::from(leg.price.get());
            let token = t.record.token_id;
            if settled {
                let spent = match leg.side {
                    Side::Buy => leg.collateral,
                    Side::Sell => fill.tokens,
                };
                t.reserved = Wei(t.reserved.0.saturating_sub(spent.0));
                let position = PositionKey {
                    wallet: leg.wallet,
                    token,
                    market: batch.market,
                    outcome: leg.outcome,
                };
                batch.moves.extend(leg_moves(
                    &leg,
                    fill.tokens,
                    position,
                    self.shared.fee_wallet,
                ));
            } else {
                batch.failed.insert(leg.order);
            }
            batch.fills.push(FillRecord {
                market: batch.market,
                seq: batch.seq,
                n,
                fill_id: fill_id.clone(),
                trade_id: trade_id.clone(),
                order_hash: leg.order,
                wallet: leg.wallet,
                token_id: token,
                outcome: leg.outcome,
                side: leg.side,
                price: leg.price,
                size: fill.size,
                tokens: fill.tokens,
                collateral: leg.collateral,
                fee: leg.fee,
                role,
                status,
                created_at: batch.now,
            });
            let event = FillEvent {
                fill_id: fill_id.clone(),
                trade_id: trade_id.clone(),
                order_hash: leg.order,
                side: leg.side,
                outcome: leg.outcome,
                price: leg.price,
                size: fill.size,
                fee: leg.fee,
                role: role.as_str(),
                status: FillStatus::Matched.as_str(),
            };
            batch.user_events.push(UserEvent {
                wallet: leg.wallet,
                event: UserEventKind::Fill(event),
            });
            batch.user_events.push(UserEvent {
                wallet: leg.wallet,
                event: UserEventKind::Settlement(SettlementEvent {
                    fill_id,
                    trade_id: trade_id.clone(),
                    order_hash: leg.order,
                    status: status.as_str(),
                }),
            });
        }
        if settled {
            batch.moves.extend(self.trade_moves(fill));
        }
        // The print, in YES terms: the resting order's price, the taker's side.
        let yes_price = fill.maker.price.in_terms_of(fill.maker.outcome);
        let (taker_book_side, _) =
            yes_terms(fill.taker.side, fill.taker.outcome, types::Ticks::MAX);
        batch.trades.push(TradePrint {
            trade_id,
            condition_id: batch.market.condition_id,
            chain_id: batch.market.chain_id,
            price: yes_price,
            size: fill.size,
            taker_side: match taker_book_side {
                BookSide::Bid => Side::Buy,
                BookSide::Ask => Side::Sell,
            },
            created_at: batch.now,
        });
        batch.last_price = Some(yes_price);
    }

    /// The moves of a trade beyond its two legs: the collateral a mint locks in (or a merge
    /// frees from) the conditional-tokens contract, and the fee wallet's rounding share.
    fn trade_moves(&self, fill: &Fill) -> Vec<Move> {
        let mut moves = Vec::new();
        let escrow = self.terms.escrow;
        match fill.kind {
            MatchKind::Plain => {}
            MatchKind::Mint => moves.push(Move::Credit {
                wallet: escrow,
                asset: Asset::Collateral,
                amount: fill.tokens,
            }),
            MatchKind::Merge => moves.push(Move::Debit {
                wallet: escrow,
                asset: Asset::Collateral,
                amount: fill.tokens,
            }),
        }
        match fill.rounding() {
            Rounding::Exact => {}
            Rounding::ToFeeWallet(amount) => moves.push(Move::Credit {
                wallet: self.shared.fee_wallet,
                asset: Asset::Collateral,
                amount,
            }),
            Rounding::FromFeeWallet(amount) => moves.push(Move::Debit {
                wallet: self.shared.fee_wallet,
                asset: Asset::Collateral,
                amount,
            }),
        }
        moves
    }

    /// An order's new state: its row, its user events, and, once it is closed, what it still
    /// held reserved goes back.
    pub(super) fn order_update(
        &mut self,
        update: OrderUpdate,
        reason: Option<&'static str>,
        batch: &mut Batch,
    ) {
        let hash = update.order;
        let failed = batch.failed.contains(&hash);
        let mut status = update.status;
        if failed && !status.is_live() {
            status = OrderStatus::MatchFailed;
        }
        // Settled at once: a matched order is filled in the same batch.
        let settled_in_full = status == OrderStatus::Matched;
        let Some(t) = self.orders.get_mut(&hash) else {
            tracing::error!(order = %hash, "an update names an order the matcher does not track");
            return;
        };
        t.filled = update.filled;
        let stored_status = if settled_in_full {
            OrderStatus::Filled
        } else {
            status
        };
        if !stored_status.is_live() && !t.reserved.0.is_zero() {
            batch.moves.push(Move::Release {
                wallet: t.record.wallet,
                asset: t.record.reserved_asset(),
                amount: t.reserved,
            });
            t.reserved = Wei::ZERO;
        }
        batch.progress.insert(
            hash,
            OrderProgress {
                hash,
                remaining: update.remaining,
                status: stored_status,
                book_priority: t.priority,
                book_added_at: t.priority.map(|_| batch.now),
                filled_notional: t.notional,
                reserved: t.reserved,
            },
        );
        let reason = if status == OrderStatus::MatchFailed {
            Some("match_failed")
        } else {
            reason
        };
        match status {
            OrderStatus::Open => {}
            OrderStatus::PartiallyFilled => self.emit_order(
                hash,
                UserEventKind::OrderPartiallyFilled,
                OrderStatus::PartiallyFilled,
                None,
                batch,
            ),
            OrderStatus::Matched => {
                self.emit_order(
                    hash,
                    UserEventKind::OrderMatched,
                    OrderStatus::Matched,
                    None,
                    batch,
                );
                self.emit_order(
                    hash,
                    UserEventKind::OrderFilled,
                    OrderStatus::Filled,
                    None,
                    batch,
                );
            }
            OrderStatus::Filled => self.emit_order(
                hash,
                UserEventKind::OrderFilled,
                OrderStatus::Filled,
                None,
                batch,
            ),
            OrderStatus::MatchFailed => self.emit_order(
                hash,
                UserEventKind::OrderMatchFailed,
                OrderStatus::MatchFailed,
                reason,
                batch,
            ),
            OrderStatus::Cancelled => self.emit_order(
                hash,
                UserEventKind::OrderCancelled,
                OrderStatus::Cancelled,
                reason,
                batch,
            ),
            OrderStatus::Expired => self.emit_order(
                hash,
                UserEventKind::OrderExpired,
                OrderStatus::Expired,
                reason,
                batch,
            ),
        }
        if !stored_status.is_live() {
            self.orders.remove(&hash);
        }
    }

    /// Tells the order's wallet what became of it.
    fn emit_order(
        &self,
        hash: OrderHash,
        kind: fn(OrderEvent) -> UserEventKind,
        status: OrderStatus,
        reason: Option<&'static str>,
        batch: &mut Batch,
    ) {
        let Some(t) = self.orders.get(&hash) else {
            return;
        };
        let remaining = batch
            .progress
            .get(&hash)
            .map_or(t.record.remaining, |p| p.remaining);
        batch.user_events.push(UserEvent {
            wallet: t.record.wallet,
            event: kind(OrderEvent {
                order_hash: hash,
                status,
                side: t.record.side,
                outcome: t.record.outcome,
                price: t.record.price.into(),
                size: t.record.size,
                remaining_size: remaining,
                reason,
            }),
        });
    }
}

/// One side's moves: what it spends from its reservation, what it receives less its fee, the
/// fee to the fee wallet, and its position's cost basis.
fn leg_moves(leg: &Leg, tokens: Wei, position: PositionKey, fee_wallet: Wallet) -> Vec<Move> {
    let token = Asset::Token(position.token);
    match leg.side {
        Side::Buy => vec![
            Move::Spend {
                wallet: leg.wallet,
                asset: Asset::Collateral,
                amount: leg.collateral,
            },
            Move::Credit {
                wallet: leg.wallet,
                asset: token,
                amount: Wei(tokens.0 - leg.fee.0),
            },
            Move::Credit {
                wallet: fee_wallet,
                asset: token,
                amount: leg.fee,
            },
            Move::Bought {
                position,
                cost: leg.collateral,
            },
        ],
        Side::Sell => vec![
            Move::Sold {
                position,
                tokens,
                proceeds: Wei(leg.collateral.0 - leg.fee.0),
            },
            Move::Spend {
                wallet: leg.wallet,
                asset: token,
                amount: tokens,
            },
            Move::Credit {
                wallet: leg.wallet,
                asset: Asset::Collateral,
                amount: Wei(leg.collateral.0 - leg.fee.0),
            },
            Move::Credit {
                wallet: fee_wallet,
                asset: Asset::Collateral,
                amount: leg.fee,
            },
        ],
    }
}

fn reason_text(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::Requested => "requested",
        CancelReason::SelfTrade => "self_trade",
        CancelReason::MarketRemainder => "market_remainder",
        CancelReason::Expired => "expired",
        CancelReason::MarketClosed => "market_closed",
    }
}

impl Tracked {
    pub(super) fn new_order(&self) -> NewOrder {
        let r = &self.record;
        NewOrder {
            hash: r.order_hash,
            wallet: r.wallet,
            outcome: r.outcome,
            side: r.side,
            price: r.price,
            size: r.size,
            order_type: r.order_type,
            maker_amount: r.maker_amount,
            taker_amount: r.taker_amount,
            fee_rate_bps: r.fee_rate_bps,
        }
    }
}
