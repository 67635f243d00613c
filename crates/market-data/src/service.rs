//! The L0 reads of docs/api.md 3 (markets, tokens, book, ticker, trades) as the market routes
//! call them: every answer but the trades comes from memory, pre-rendered where it is hot.

use std::sync::Arc;

use store::Store;
use types::{MarketKey, Timestamp};

use crate::books::BookViews;
use crate::catalog::{ListPosition, MarketCatalog, MarketEntry};
use crate::error::MarketDataError;
use crate::params::{self, MarketQuery};
use crate::views::{
    self, close_market_with_ticker, BookView, Page, TickerView, TokensView, TradeView,
};

/// What the market routes read: the catalog, the book views, and the store (for trades).
pub struct MarketData {
    pub catalog: Arc<MarketCatalog>,
    pub books: Arc<BookViews>,
    pub store: Store,
}

impl MarketData {
    /// The market a route's path and `chain_id` name.
    pub fn market(
        &self,
        path: &str,
        q: &MarketQuery,
    ) -> Result<(MarketKey, Arc<MarketEntry>), MarketDataError> {
        let key = params::market_key(path, q)?;
        let entry = self
            .catalog
            .get(&key)
            .ok_or(MarketDataError::MarketNotFound)?;
        Ok((key, entry))
    }

    /// Appends the market's JSON (its pre-rendered text, then the live ticker) to `out`.
    pub fn render_market(&self, entry: &MarketEntry, language: Option<&str>, out: &mut String) {
        out.push_str(entry.prefix(language));
        close_market_with_ticker(out, &self.books.get(&entry.key()).ticker());
    }

    /// One market's JSON, as `GET /v1/markets/{condition_id}` answers it.
    pub fn market_json(&self, entry: &MarketEntry, language: Option<&str>) -> String {
        let mut body = String::with_capacity(entry.prefix(None).len() + 160);
        self.render_market(entry, language, &mut body);
        body
    }

    /// A page of `GET /v1/markets`, as JSON.
    pub fn list_json(
        &self,
        q: &MarketQuery,
        language: Option<&str>,
    ) -> Result<String, MarketDataError> {
        let status = params::status(q.status.as_deref())?;
        let limit = params::limit(q)?;
        let after = params::list_position(q.cursor.as_deref())?;
        let (page, has_more) = self.catalog.page(status, after, limit as usize);
        let mut body = String::from("{\"data\":[");
        for (i, entry) in page.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            self.render_market(entry, language, &mut body);
        }
        let next_cursor = match page.last() {
            Some(last) if has_more => Some(params::encode_list_position(&ListPosition {
                created_at: last.record.created_at,
                key: last.key(),
            })),
            _ => None,
        };
        body.push_str("],\"next_cursor\":");
        body.push_str(&serde_json::to_string(&next_cursor).unwrap_or_else(|_| "null".into()));
        body.push_str(",\"has_more\":");
        body.push_str(if has_more { "true" } else { "false" });
        body.push('}');
        Ok(body)
    }

    pub fn tokens(&self, path: &str, q: &MarketQuery) -> Result<TokensView, MarketDataError> {
        let (_, entry) = self.market(path, q)?;
        Ok(views::tokens_view(&entry.record))
    }

    pub fn book(&self, path: &str, q: &MarketQuery) -> Result<BookView, MarketDataError> {
        let (key, entry) = self.market(path, q)?;
        let book = self.books.get(&key);
        Ok(views::book_view(&entry.record, &book, Timestamp::now()))
    }

    pub fn ticker(&self, path: &str, q: &MarketQuery) -> Result<TickerView, MarketDataError> {
        let (key, entry) = self.market(path, q)?;
        let ticker = self.books.get(&key).ticker();
        Ok(views::ticker_view(&entry.record, &ticker, Timestamp::now()))
    }

    /// A page of the market's trades, newest first.
    pub async fn trades(
        &self,
        path: &str,
        q: &MarketQuery,
    ) -> Result<Page<TradeView>, MarketDataError> {
        let (key, _) = self.market(path, q)?;
        let limit = params::limit(q)?;
        let after = params::trade_position(q.cursor.as_deref())?;
        let mut prints = self
            .store
            .trades_page(&key.condition_id, key.chain_id, after.as_ref(), limit + 1)
            .await?;
        let has_more = prints.len() > limit as usize;
        prints.truncate(limit as usize);
        let next_cursor = match prints.last() {
            Some(last) if has_more => {
                Some(params::encode_trade_position(&store::trades::TradeCursor {
                    created_at: last.created_at,
                    trade_id: last.trade_id.clone(),
                }))
            }
            _ => None,
        };
        Ok(Page {
            data: prints.iter().map(views::trade_view).collect(),
            next_cursor,
            has_more,
        })
    }
}
