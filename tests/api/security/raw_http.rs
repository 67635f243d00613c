//! HTTP/1.1 over a bare TCP stream, for attacks no HTTP client would send: slow bodies,
//! malformed heads, many connections from a chosen loopback address.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::harness::Gateway;

/// The gateway's listening address.
pub fn addr(gw: &Gateway) -> SocketAddr {
    gw.base_url
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("a base URL such as http://127.0.0.1:8080: {}", gw.base_url))
}

/// An address of 127.0.0.0/8 (all loopback on Linux), so that a test can act as another client.
pub fn loopback(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The contract's envelope: status, the four fields, the code, the correlation header.
    #[track_caller]
    pub fn assert_envelope(&self, status: u16, code: &str) {
        let body = self.json();
        assert_eq!(self.status, status, "{self:?}");
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap_or_else(|| panic!("not a JSON object: {self:?}"))
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "correlation_id", "message", "status_code"]);
        assert_eq!(body["status_code"], u64::from(status));
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(
            self.header("x-correlation-id"),
            body["correlation_id"].as_str(),
            "{self:?}"
        );
    }
}

/// One client connection and what it has read but not yet consumed.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `to` from `from` (port chosen by the system).
    pub async fn open(from: IpAddr, to: SocketAddr) -> std::io::Result<Conn> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from, 0))?;
        let stream = socket.connect(to).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Reads more bytes; `Ok(0)` at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Takes one whole response off the buffer: `Content-Length` framed, or at the end of the
    /// stream whatever arrived after the head.
    fn take_response(&mut self, at_end: bool) -> Option<RawResponse> {
        let head_end = self.buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        let end = match length {
            Some(n) if self.buf.len() >= head_end + n => head_end + n,
            _ if at_end => self.buf.len(),
            _ => return None,
        };
        let body = self.buf[head_end..end].to_vec();
        self.buf.drain(..end);
        Some(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Reads one response. The end of the stream (or a reset, as when the server closes with
    /// input unread) before a whole head is `None`.
    pub async fn response(&mut self) -> Option<RawResponse> {
        loop {
            if let Some(r) = self.take_response(false) {
                return Some(r);
            }
            match self.fill().await {
                Ok(0) | Err(_) => return self.take_response(true),
                Ok(_) => {}
            }
        }
    }

    /// Sends `piece` every `every` until a response arrives (returned) or `limit` passes
    /// (`None`); a failed send (the server closed) is ignored and reading goes on.
    pub async fn trickle(
        &mut self,
        piece: &[u8],
        every: Duration,
        limit: Duration,
    ) -> Option<RawResponse> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(r) = self.take_response(false) {
                return Some(r);
            }
            if Instant::now() >= deadline {
                return None;
            }
            match tokio::time::timeout(every, self.fill()).await {
                Err(_) => {
                    let _ = self.send(piece).await;
                }
                Ok(Ok(0)) | Ok(Err(_)) => return self.take_response(true),
                Ok(Ok(_)) => {}
            }
        }
    }

    /// `GET path` on this connection (kept alive) and its response.
    pub async fn get(&mut self, path: &str) -> Option<RawResponse> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: gateway\r\n\r\n");
        self.send(request.as_bytes()).await.ok()?;
        self.response().await
    }

    /// Whether the server closes the connection within `limit` (anything it sends is read
    /// and discarded).
    pub async fn closed_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.fill()).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => self.buf.clear(),
            }
        }
    }
}
