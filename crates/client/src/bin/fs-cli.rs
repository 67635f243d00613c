//! `fs-cli`: the gateway's REST API from a shell or a bot's script. JSON on stdout, errors on
//! stderr with a non-zero exit code, secrets never printed.
//!
//! Settings come from the environment (listed with their defaults by `fs-cli --help`): the
//! workspace's clap has no `env` feature, and a bot's script sets variables, not flags.
//!
//! Exit codes: 0 success; 1 the request failed (unreachable gateway, API error, bad input); 2
//! usage (clap); 3 `order place` was answered but at least one order was refused (the results
//! on stdout say which and why).
//!
//! `order cancel` also prints `<hash>: <REASON>` on stderr for each hash not cancelled (its
//! `not_cancelled`); that is an answer, not a failure: the exit code stays 0.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use client::{
    Client, ClientError, ConnectionFailure, Credentials, MarketsQuery, OrderBuilder, OrderSpec,
    OrdersQuery, PrivateKey, StatusFilter,
};
use serde::Serialize;
use types::{ChainId, ConditionId, MarketStatus, OrderHash, OrderType, Outcome, Side, Size, Ticks};

const DEFAULT_API_URL: &str = "http://127.0.0.1:8080";
/// The accepted range of `FS_TIMEOUT_SECS`.
const TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 1..=3600;

/// The `--help` section on the environment: every variable the CLI reads, with its default.
fn environment_help() -> String {
    format!(
        "Environment:
  FS_API_URL       the gateway's base URL, http:// or https:// [default: {DEFAULT_API_URL}]
  FS_API_KEY       API key id, sent with FS_API_SECRET (set both or neither) [default: unset]
  FS_API_SECRET    API key secret [default: unset]
  FS_JWT           a Privy JWT, sent when no key pair is set [default: unset]
  FS_PRIVATE_KEY   hex of the wallet's private key, for `order place` and `wallet` [default: unset]
  FS_TIMEOUT_SECS  the longest one request may take, {}-{} [default: {}]

Output is JSON on stdout. Exit codes: 0 success; 1 the request failed (the reason on stderr);
2 usage; 3 `order place` was answered but the order was refused.",
        TIMEOUT_SECS.start(),
        TIMEOUT_SECS.end(),
        client::http::DEFAULT_TIMEOUT.as_secs()
    )
}

#[derive(Parser)]
#[command(
    name = "fs-cli",
    version,
    about = "Foresight CLOB gateway from the command line",
    after_help = environment_help()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List markets (`GET /v1/markets`).
    Markets {
        /// OPEN, CLOSED, RESOLVED, PAUSED or SEEDING (any case).
        #[arg(long, value_parser = parse_market_status)]
        status: Option<MarketStatus>,
        #[arg(long)]
        cursor: Option<String>,
        /// 1..=100.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// One market (`GET /v1/markets/{condition_id}`).
    Market {
        #[arg(value_parser = parse_condition_id)]
        condition_id: ConditionId,
        #[arg(long, value_parser = parse_chain_id)]
        chain_id: ChainId,
    },
    /// Place, inspect and cancel orders.
    #[command(subcommand)]
    Order(OrderCommand),
    /// List the caller's orders (`GET /v1/orders`).
    Orders {
        /// open: OPEN and PARTIALLY_FILLED; filled: MATCHED and FILLED; cancelled: CANCELLED,
        /// EXPIRED and MATCH_FAILED.
        #[arg(long, value_enum, default_value_t = StatusArg::Open)]
        status: StatusArg,
        #[arg(long, value_parser = parse_condition_id, requires = "chain_id")]
        condition_id: Option<ConditionId>,
        #[arg(long, value_parser = parse_chain_id)]
        chain_id: Option<ChainId>,
        #[arg(long)]
        cursor: Option<String>,
        /// 1..=100.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Print the address of FS_PRIVATE_KEY.
    Wallet,
}

#[derive(Subcommand)]
enum OrderCommand {
    /// Sign an order with FS_PRIVATE_KEY and submit it (`POST /v1/orders`).
    Place(PlaceArgs),
    /// One order (`GET /v1/orders/{order_hash}`).
    Get {
        #[arg(value_parser = parse_order_hash)]
        hash: OrderHash,
    },
    /// Cancel orders by hash (`POST /v1/orders/cancel`, at most 100).
    Cancel {
        #[arg(required = true, value_parser = parse_order_hash)]
        hashes: Vec<OrderHash>,
    },
    /// Cancel every open order, or those of one market with --condition-id and --chain-id.
    CancelAll {
        #[arg(long, value_parser = parse_condition_id, requires = "chain_id")]
        condition_id: Option<ConditionId>,
        #[arg(long, value_parser = parse_chain_id, requires = "condition_id")]
        chain_id: Option<ChainId>,
    },
    /// Take an order off the book and print the cancelOrder transaction to submit on-chain.
    CancelOnchain {
        #[arg(value_parser = parse_order_hash)]
        hash: OrderHash,
    },
}

#[derive(Args)]
struct PlaceArgs {
    #[arg(long, value_parser = parse_condition_id)]
    condition_id: ConditionId,
    #[arg(long, value_parser = parse_chain_id)]
    chain_id: ChainId,
    #[arg(long, value_enum)]
    outcome: OutcomeArg,
    #[arg(long, value_enum)]
    side: SideArg,
    /// 0.01..=1.00, at most 2 decimals (never rounded).
    #[arg(long, value_parser = parse_price)]
    price: Ticks,
    /// Shares, at most 2 decimals.
    #[arg(long, value_parser = parse_size)]
    size: Size,
    #[arg(long = "type", value_enum, default_value = "limit")]
    order_type: TypeArg,
    /// Unix seconds; required for --type gtd.
    #[arg(long, default_value_t = 0)]
    expiration: u64,
    /// Sent as fs-idempotency-key: a retry with the same key does not place the order twice.
    #[arg(long)]
    idempotency_key: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutcomeArg {
    Yes,
    No,
}

#[derive(Clone, Copy, ValueEnum)]
enum SideArg {
    Buy,
    Sell,
}

#[derive(Clone, Copy, ValueEnum)]
enum TypeArg {
    Limit,
    Gtd,
    Market,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatusArg {
    Open,
    Filled,
    Cancelled,
    All,
}

fn parse_condition_id(s: &str) -> Result<ConditionId, String> {
    s.parse().map_err(|e| format!("condition id {e}"))
}

fn parse_order_hash(s: &str) -> Result<OrderHash, String> {
    s.parse().map_err(|e| format!("order hash {e}"))
}

fn parse_chain_id(s: &str) -> Result<ChainId, String> {
    s.parse().map_err(|e| format!("chain id {e}"))
}

fn parse_market_status(s: &str) -> Result<MarketStatus, String> {
    s.parse()
        .map_err(|()| "must be OPEN, CLOSED, RESOLVED, PAUSED or SEEDING".to_owned())
}

fn parse_price(s: &str) -> Result<Ticks, String> {
    s.parse()
        .map_err(|e| format!("price {e} (0.01..=1.00, at most 2 decimals)"))
}

fn parse_size(s: &str) -> Result<Size, String> {
    s.parse().map_err(|e| format!("size {e}"))
}

/// A failure worth its own exit code.
enum Failure {
    Client(ClientError),
    /// The batch was answered, but some orders were refused.
    Refused,
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        Failure::Client(e)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn credentials() -> Result<Credentials, ClientError> {
    let api_key = match (env("FS_API_KEY"), env("FS_API_SECRET")) {
        (Some(key), Some(secret)) => Some(client::ApiKey::new(key.trim(), secret.trim())),
        (None, None) => None,
        _ => {
            return Err(ClientError::invalid(
                "FS_API_KEY/FS_API_SECRET",
                "set both or neither",
            ))
        }
    };
    Ok(Credentials {
        api_key,
        jwt: env("FS_JWT").map(|t| types::Secret::new(t.trim().to_owned())),
    })
}

fn timeout() -> Result<Duration, ClientError> {
    let Some(text) = env("FS_TIMEOUT_SECS") else {
        return Ok(client::http::DEFAULT_TIMEOUT);
    };
    match text.trim().parse::<u64>() {
        Ok(secs) if TIMEOUT_SECS.contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(ClientError::invalid(
            "FS_TIMEOUT_SECS",
            format!(
                "{text:?} is not a whole number of seconds from {} to {}",
                TIMEOUT_SECS.start(),
                TIMEOUT_SECS.end()
            ),
        )),
    }
}

fn private_key() -> Result<PrivateKey, ClientError> {
    let hex = env("FS_PRIVATE_KEY").ok_or_else(|| {
        ClientError::invalid(
            "FS_PRIVATE_KEY",
            "is not set (hex of the wallet's private key)",
        )
    })?;
    PrivateKey::from_hex(&hex).map_err(|e| match e {
        ClientError::Invalid { reason, .. } => ClientError::invalid("FS_PRIVATE_KEY", reason),
        other => other,
    })
}

fn print<T: Serialize>(value: &T) -> Result<(), ClientError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| ClientError::invalid("output", e.to_string()))?;
    println!("{text}");
    Ok(())
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let api = || {
        let url = env("FS_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        Client::new(&url, credentials()?)?.with_timeout(timeout()?)
    };
    match cli.command {
        Command::Wallet => print(&serde_json::json!({ "wallet": private_key()?.wallet() }))?,
        Command::Markets {
            status,
            cursor,
            limit,
        } => print(
            &api()?
                .markets(&MarketsQuery {
                    status,
                    cursor,
                    limit,
                })
                .await?,
        )?,
        Command::Market {
            condition_id,
            chain_id,
        } => print(&api()?.market(condition_id, chain_id).await?)?,
        Command::Orders {
            status,
            condition_id,
            chain_id,
            cursor,
            limit,
        } => {
            let status = match status {
                StatusArg::Open => StatusFilter::Open,
                StatusArg::Filled => StatusFilter::Filled,
                StatusArg::Cancelled => StatusFilter::Cancelled,
                StatusArg::All => StatusFilter::All,
            };
            let query = OrdersQuery {
                condition_id,
                chain_id,
                status: Some(status),
                cursor,
                limit,
            };
            print(&api()?.list_orders(&query).await?)?
        }
        Command::Order(OrderCommand::Place(args)) => return place(&api()?, args).await,
        Command::Order(OrderCommand::Get { hash }) => print(&api()?.get_order(hash).await?)?,
        Command::Order(OrderCommand::Cancel { hashes }) => {
            let answer = api()?.cancel_orders(&hashes).await?;
            print(&answer)?;
            // stdout stays one JSON document; the reasons are for whoever reads the terminal.
            for (hash, reason) in &answer.not_cancelled {
                eprintln!("{hash}: {reason}");
            }
        }
        Command::Order(OrderCommand::CancelAll {
            condition_id,
            chain_id,
        }) => match (condition_id, chain_id) {
            (Some(c), Some(n)) => print(&api()?.cancel_market(c, n).await?)?,
            _ => print(&api()?.cancel_all().await?)?,
        },
        Command::Order(OrderCommand::CancelOnchain { hash }) => {
            print(&api()?.cancel_onchain(hash).await?)?
        }
    }
    Ok(())
}

async fn place(api: &Client, args: PlaceArgs) -> Result<(), Failure> {
    let key = private_key()?;
    if api.credentials().is_empty() {
        return Err(ClientError::MissingCredentials.into());
    }
    let market = api.market(args.condition_id, args.chain_id).await?.info();
    let spec = OrderSpec {
        outcome: match args.outcome {
            OutcomeArg::Yes => Outcome::Yes,
            OutcomeArg::No => Outcome::No,
        },
        side: match args.side {
            SideArg::Buy => Side::Buy,
            SideArg::Sell => Side::Sell,
        },
        price: args.price,
        size: args.size,
        order_type: match args.order_type {
            TypeArg::Limit => OrderType::Limit,
            TypeArg::Gtd => OrderType::Gtd,
            TypeArg::Market => OrderType::Market,
        },
        expiration: args.expiration,
    };
    let order = OrderBuilder::new(&key, &market).build(&spec)?;
    let resp = api
        .place_orders(
            std::slice::from_ref(&order),
            args.idempotency_key.as_deref(),
        )
        .await?;
    print(&resp)?;
    if resp.body.refused() > 0 {
        return Err(Failure::Refused);
    }
    Ok(())
}

/// What to check when the gateway could not be reached: the settings that decide it.
fn hint(cause: &ConnectionFailure) -> &'static str {
    match cause {
        ConnectionFailure::Refused | ConnectionFailure::Other(_) => {
            "is the gateway running? Set FS_API_URL to its address"
        }
        ConnectionFailure::Dns { .. } => "check the host name in FS_API_URL",
        ConnectionFailure::TimedOut(_) => {
            "is FS_API_URL the gateway's address? FS_TIMEOUT_SECS sets how long to wait"
        }
        ConnectionFailure::Tls(_) => {
            "check FS_API_URL's scheme: https:// needs the gateway's TLS port, http:// a plain one"
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Client(e)) => {
            match &e {
                ClientError::Unreachable { cause, .. } => eprintln!("error: {e}: {}", hint(cause)),
                _ => eprintln!("error: {e}"),
            }
            ExitCode::from(1)
        }
        Err(Failure::Refused) => {
            eprintln!("error: the gateway refused the order; see the result on stdout");
            ExitCode::from(3)
        }
    }
}
