//! The JSON shapes of docs/api.md 3, rendered from records and book snapshots.

use serde::Serialize;
use store::markets::{MarketRecord, TokenSpec};
use store::trades::TradePrint;
use types::{
    ChainId, ConditionId, ContractAddress, MarketStatus, Outcome, Price, Size, Timestamp, TokenId,
};

use crate::books::{thousandths_to_decimal, BookLevel, BookState, Ticker};

#[derive(Serialize)]
struct TokenView {
    token_id: TokenId,
    outcome: Outcome,
    decimals: u8,
}

fn tokens(m: &MarketRecord) -> [TokenView; 2] {
    let view = |t: &TokenSpec, outcome| TokenView {
        token_id: t.token_id,
        outcome,
        decimals: t.decimals,
    };
    [view(&m.yes, Outcome::Yes), view(&m.no, Outcome::No)]
}

#[derive(Serialize)]
struct MarketStatic<'a> {
    condition_id: ConditionId,
    chain_id: ChainId,
    question: &'a str,
    status: MarketStatus,
    tokens: [TokenView; 2],
    fee_rate_bps: u32,
    min_order_size: Size,
    tick_size: &'static str,
    created_at: Timestamp,
    end_date: Option<Timestamp>,
    summary: &'a str,
    rules: &'a str,
    collateral_token: ContractAddress,
    ctf_exchange_address: ContractAddress,
    conditional_tokens_address: ContractAddress,
}

pub const TICK_SIZE: &str = "0.01";

/// The market object up to (not including) its `ticker`, as an unterminated JSON object:
/// `{"condition_id":...,"conditional_tokens_address":"0x.."`. The ticker changes with every
/// trade, the rest only with an operator's change, so the rest is rendered once.
pub fn market_prefix(m: &MarketRecord, language: Option<&str>) -> String {
    let (summary, rules) = match language.and_then(|l| m.translations.get(l)) {
        Some(t) => (t.summary.as_str(), t.rules.as_str()),
        None => (m.summary.as_str(), m.rules.as_str()),
    };
    let view = MarketStatic {
        condition_id: m.condition_id,
        chain_id: m.chain_id,
        question: &m.question,
        status: m.status,
        tokens: tokens(m),
        fee_rate_bps: m.fee_rate_bps,
        min_order_size: m.min_order_size,
        tick_size: TICK_SIZE,
        created_at: m.created_at,
        end_date: m.end_date,
        summary,
        rules,
        collateral_token: m.collateral_token,
        ctf_exchange_address: m.ctf_exchange_address,
        conditional_tokens_address: m.conditional_tokens_address,
    };
    // Serializing plain strings and numbers cannot fail.
    let mut json = serde_json::to_string(&view).unwrap_or_else(|_| "{".to_owned());
    json.pop();
    json
}

/// Appends `,"ticker":{...}}` in the embedded form: camelCase, JSON numbers or null.
pub fn close_market_with_ticker(out: &mut String, ticker: &Ticker) {
    fn num(out: &mut String, v: Option<String>) {
        out.push_str(v.as_deref().unwrap_or("null"));
    }
    let price = |t: Option<Price>| t.map(|t| t.to_string());
    out.push_str(",\"ticker\":{\"bestBid\":");
    num(out, price(ticker.best_bid));
    out.push_str(",\"bestAsk\":");
    num(out, price(ticker.best_ask));
    out.push_str(",\"lastPrice\":");
    num(out, price(ticker.last_price));
    out.push_str(",\"spread\":");
    num(
        out,
        ticker
            .spread
            .map(|s| thousandths_to_decimal(u16::from(s) * 10)),
    );
    out.push_str(",\"displayPriceYES\":");
    num(
        out,
        ticker.display_yes_thousandths.map(thousandths_to_decimal),
    );
    out.push_str(",\"displayPriceNO\":");
    num(
        out,
        ticker
            .display_yes_thousandths
            .map(|y| thousandths_to_decimal(1000 - y)),
    );
    out.push_str("}}");
}

#[derive(Serialize)]
pub struct TokensView {
    condition_id: ConditionId,
    chain_id: ChainId,
    collateral_token: ContractAddress,
    tokens: [TokenView; 2],
}

pub fn tokens_view(m: &MarketRecord) -> TokensView {
    TokensView {
        condition_id: m.condition_id,
        chain_id: m.chain_id,
        collateral_token: m.collateral_token,
        tokens: tokens(m),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LevelView {
    price: Price,
    remaining_size: Size,
}

#[derive(Serialize)]
pub struct BookView {
    condition_id: ConditionId,
    chain_id: ChainId,
    timestamp: Timestamp,
    seq: u64,
    bids: Vec<LevelView>,
    asks: Vec<LevelView>,
}

pub fn book_view(m: &MarketRecord, book: &BookState, now: Timestamp) -> BookView {
    let levels = |ls: &[BookLevel]| {
        ls.iter()
            .map(|l| LevelView {
                price: l.price,
                remaining_size: l.size,
            })
            .collect()
    };
    BookView {
        condition_id: m.condition_id,
        chain_id: m.chain_id,
        timestamp: now,
        seq: book.seq,
        bids: levels(&book.bids),
        asks: levels(&book.asks),
    }
}

#[derive(Serialize)]
pub struct TickerView {
    condition_id: ConditionId,
    chain_id: ChainId,
    best_bid: Option<Price>,
    best_ask: Option<Price>,
    last_price: Option<Price>,
    spread: Option<String>,
    display_price_yes: Option<String>,
    display_price_no: Option<String>,
    timestamp: Timestamp,
}

pub fn ticker_view(m: &MarketRecord, t: &Ticker, now: Timestamp) -> TickerView {
    TickerView {
        condition_id: m.condition_id,
        chain_id: m.chain_id,
        best_bid: t.best_bid,
        best_ask: t.best_ask,
        last_price: t.last_price,
        spread: t.spread.map(|s| thousandths_to_decimal(u16::from(s) * 10)),
        display_price_yes: t.display_yes_thousandths.map(thousandths_to_decimal),
        display_price_no: t
            .display_yes_thousandths
            .map(|y| thousandths_to_decimal(1000 - y)),
        timestamp: now,
    }
}

#[derive(Serialize)]
pub struct TradeView {
    trade_id: String,
    price: Price,
    size: Size,
    side: &'static str,
    timestamp: Timestamp,
}

pub fn trade_view(t: &TradePrint) -> TradeView {
    TradeView {
        trade_id: t.trade_id.clone(),
        price: t.price,
        size: t.size,
        side: t.taker_side.as_str(),
        timestamp: t.created_at,
    }
}

/// `{"data":[...],"next_cursor":...,"has_more":...}`
#[derive(Serialize)]
pub struct Page<T: Serialize> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}
