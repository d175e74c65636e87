//! Frames over a byte stream (`Content-Length: N`, a blank line, N bytes of JSON), read and
//! written on the server's one thread, and never a reason to stop serving.
//!
//! `lsp-server`'s stdio transport ends the connection on the first malformed frame. Here a
//! body that is not JSON, or not a JSON-RPC message, is answered with a parse error (-32700) or
//! an invalid request (-32600, with the request's id when it has one) and the server reads on;
//! a header without a usable `Content-Length`, or one past [`MAX_FRAME_BYTES`], is answered
//! with a parse error and skipped: the reader then looks for the next line that holds a
//! `Content-Length` header (resynchronising on the next frame). Header lines are bounded by
//! [`MAX_HEADER_BYTES`], so no input makes the reader hold more than one frame.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message};

use crate::limits::{MAX_FRAME_BYTES, MAX_HEADER_BYTES};

/// What the next frame held.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame that could not be used; the answer to send (a JSON-RPC error).
    Malformed(serde_json::Value),
    /// The client closed the stream.
    Closed,
}

/// Reads frames from `R` and writes them to `W`.
pub struct Transport<R, W> {
    reader: R,
    writer: W,
}

/// A JSON-RPC error answer; `id` is `null` when the request's id is not known.
fn error(id: serde_json::Value, code: ErrorCode, message: String) -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code as i32, "message": message },
    })
}

/// The `Content-Length` value of a header line, wherever the name starts in it (so that a
/// header glued to the end of a skipped body is found too).
fn content_length(line: &[u8]) -> Option<Result<usize, String>> {
    let text = String::from_utf8_lossy(line);
    let lower = text.to_ascii_lowercase();
    let at = lower.find("content-length:")?;
    let value = text.get(at + "content-length:".len()..)?.trim();
    Some(value.parse::<usize>().map_err(|_| {
        let shown: String = value.chars().take(40).collect();
        format!("`Content-Length: {shown}` is not a length")
    }))
}

impl<R: BufRead, W: Write> Transport<R, W> {
    pub fn new(reader: R, writer: W) -> Transport<R, W> {
        Transport { reader, writer }
    }

    /// The reader and the writer, to read and write on different threads.
    pub fn into_parts(self) -> (R, W) {
        (self.reader, self.writer)
    }

    /// One header line, without its line break, at most [`MAX_HEADER_BYTES`] (the rest of a
    /// longer line is read and dropped). `None` at the end of the stream.
    fn header_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let mut any = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(any.then_some(line));
            }
            any = true;
            let (used, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = MAX_HEADER_BYTES.saturating_sub(line.len());
            line.extend(chunk.iter().take(used.min(room)));
            self.reader.consume(used);
            if done {
                while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
        }
    }

    /// The next frame.
    pub fn read(&mut self) -> io::Result<Incoming> {
        let mut length: Option<Result<usize, String>> = None;
        loop {
            let Some(line) = self.header_line()? else {
                return Ok(Incoming::Closed);
            };
            if line.is_empty() {
                // The blank line ends the headers; before any header it is noise.
                if length.is_some() {
                    break;
                }
                continue;
            }
            if let Some(l) = content_length(&line) {
                length = Some(l);
            }
        }
        let size = match length {
            Some(Ok(n)) if n <= MAX_FRAME_BYTES => n,
            Some(Ok(n)) => {
                return Ok(Incoming::Malformed(error(
                    serde_json::Value::Null,
                    ErrorCode::ParseError,
                    format!("a message of {n} bytes is over the limit of {MAX_FRAME_BYTES}"),
                )));
            }
            Some(Err(why)) => {
                return Ok(Incoming::Malformed(error(
                    serde_json::Value::Null,
                    ErrorCode::ParseError,
                    why,
                )));
            }
            None => return Ok(Incoming::Closed),
        };
        let mut body = Vec::new();
        (&mut self.reader)
            .take(size as u64)
            .read_to_end(&mut body)?;
        if body.len() < size {
            return Ok(Incoming::Closed);
        }
        Ok(decode(&body))
    }

    /// Writes one message.
    pub fn send(&mut self, msg: &Message) -> io::Result<()> {
        msg.write(&mut self.writer)?;
        self.writer.flush()
    }

    /// Writes one JSON value as a frame (error answers whose id may be `null`).
    pub fn send_value(&mut self, value: &serde_json::Value) -> io::Result<()> {
        let text = value.to_string();
        write!(self.writer, "Content-Length: {}\r\n\r\n", text.len())?;
        self.writer.write_all(text.as_bytes())?;
        self.writer.flush()
    }
}

/// A frame's body as a message, or the error that answers it.
fn decode(body: &[u8]) -> Incoming {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Malformed(error(
                serde_json::Value::Null,
                ErrorCode::ParseError,
                format!("the message is not JSON: {e}"),
            ));
        }
    };
    let id = value
        .get("id")
        .filter(|id| id.is_string() || id.is_number())
        .cloned();
    match serde_json::from_value::<Message>(value) {
        Ok(m) => Incoming::Message(m),
        Err(e) => Incoming::Malformed(error(
            id.unwrap_or(serde_json::Value::Null),
            ErrorCode::InvalidRequest,
            format!("not a JSON-RPC request, notification or response: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut t = Transport::new(input, Vec::new());
        let mut out = Vec::new();
        loop {
            match t.read().unwrap() {
                Incoming::Message(m) => out.push(format!("{:?}", m).chars().take(30).collect()),
                Incoming::Malformed(v) => out.push(format!("error {}", v["error"]["code"])),
                Incoming::Closed => return out,
            }
        }
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    const EXIT: &str = r#"{"jsonrpc":"2.0","method":"exit"}"#;

    #[test]
    fn reads_on_after_bad_frames() {
        let mut input = String::new();
        input.push_str(&frame("not json"));
        input.push_str(&frame(r#"{"jsonrpc":"2.0","id":7}"#));
        input.push_str("Content-Length: twelve\r\n\r\n");
        input.push_str(&frame(EXIT));
        input.push_str("Content-Length: 99999999999\r\n\r\n");
        input.push_str(&frame(EXIT));
        let got = frames(input.as_bytes());
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0], "error -32700");
        assert_eq!(got[1], "error -32600");
        assert_eq!(got[2], "error -32700");
        assert!(got[3].starts_with("Notification"));
        assert_eq!(got[4], "error -32700");
        assert!(got[5].starts_with("Notification"));
    }

    #[test]
    fn a_header_line_longer_than_the_limit_is_cut() {
        let mut input = vec![b'x'; MAX_HEADER_BYTES * 4];
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(frame(EXIT).as_bytes());
        assert_eq!(frames(&input).len(), 1);
    }

    #[test]
    fn a_truncated_body_closes() {
        assert!(frames(b"Content-Length: 10\r\n\r\n{}").is_empty());
    }
}
