//! A language-server client for the tests: the real binary, spoken to over stdio with
//! Content-Length framed JSON-RPC. Every read has a timeout, so a hung server fails the test
//! instead of hanging CI.

#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    /// The server's cache folder (where it writes the standard library).
    pub cache: tempfile::TempDir,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    pending: VecDeque<Value>,
    next_id: i64,
}

pub fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    pub fn start() -> Client {
        let cache = tempfile::tempdir().unwrap();
        // `EGRESSC_BIN`: another build of the binary (a benchmark's baseline).
        let bin =
            std::env::var_os("EGRESSC_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_egressc").into());
        let mut child = Command::new(bin)
            .arg("lsp")
            .env("XDG_CACHE_HOME", cache.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Client {
            cache,
            stdin: child.stdin.take(),
            child,
            messages: rx,
            pending: VecDeque::new(),
            next_id: 1,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the server and goes through `initialize` and `initialized`.
    pub fn initialized(options: Value) -> Client {
        Client::initialized_with(
            json!({"processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": options}),
        )
    }

    /// [`Client::initialized`] with the whole `initialize` parameters.
    pub fn initialized_with(params: Value) -> Client {
        let mut c = Client::start();
        let result = c.request("initialize", params);
        let caps = &result["result"]["capabilities"];
        assert_eq!(caps["textDocumentSync"]["change"], 1, "{result}");
        assert_eq!(caps["textDocumentSync"]["openClose"], true, "{result}");
        assert_eq!(caps["positionEncoding"], "utf-16");
        assert_eq!(caps["hoverProvider"], true);
        assert_eq!(caps["definitionProvider"], true);
        assert_eq!(caps["documentSymbolProvider"], true);
        assert!(caps["completionProvider"].is_object());
        c.notify("initialized", json!({}));
        c
    }

    pub fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        let stdin = self.stdin.as_mut().unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    /// Writes bytes as they are, framed or not.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// The next error answer (to a malformed frame or a request), skipping notifications.
    pub fn next_error(&mut self) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if msg.get("error").is_some() {
                return msg;
            }
            self.pending.push_back(msg);
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    pub fn recv(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("the server did not answer in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.pending.push_back(msg);
        }
    }

    /// A request that must succeed: its `result`.
    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let resp = self.request(method, params);
        assert!(resp.get("error").is_none(), "{method}: {resp}");
        resp["result"].clone()
    }

    /// The next diagnostics published for `uri`.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_ours = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.pending.iter().position(is_ours) {
            let m = self.pending.remove(i).unwrap();
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if is_ours(&msg) {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push_back(msg);
        }
    }

    /// Every publication for `uri` received so far (call after a request: the server answers
    /// in order, so everything published before the answer has arrived).
    pub fn drain_diagnostics(&mut self, uri: &str) -> Vec<Vec<Value>> {
        let (ours, rest): (VecDeque<Value>, VecDeque<Value>) =
            self.pending.drain(..).partition(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            });
        self.pending = rest;
        ours.into_iter()
            .map(|m| m["params"]["diagnostics"].as_array().unwrap().clone())
            .collect()
    }

    /// The next message that `is` accepts (earlier ones stay pending).
    pub fn wait_for(&mut self, is: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&is) {
            return self.pending.remove(i).unwrap();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.recv(deadline);
            if is(&msg) {
                return msg;
            }
            self.pending.push_back(msg);
        }
    }

    /// The next publication for `uri`, whole (`uri`, `version`, `diagnostics`).
    pub fn publication(&mut self, uri: &str) -> Value {
        let m = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"].clone()
    }

    /// Waits until the server has handled everything sent so far (a request's answer comes
    /// after them) and drops what it sent meanwhile.
    pub fn settle(&mut self) {
        let _ = self.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///settle"}, "position": {"line": 0, "character": 0}}),
        );
        self.pending.clear();
    }

    /// Every message received so far and not yet taken (call after a request: the server
    /// answers in order, so everything sent before the answer has arrived).
    pub fn take_pending(&mut self) -> Vec<Value> {
        self.pending.drain(..).collect()
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "egress", "version": 1, "text": text}}),
        );
    }

    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// Waits for the process to end and returns its exit code.
    pub fn wait(mut self) -> Option<i32> {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn shutdown_and_exit(mut self) {
        let resp = self.request("shutdown", Value::Null);
        assert_eq!(resp["result"], Value::Null, "{resp}");
        assert!(resp.get("error").is_none());
        self.notify("exit", Value::Null);
        assert_eq!(self.wait(), Some(0));
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The errors among diagnostics (warnings from lints may come and go with the lint set).
pub fn errors(diags: Vec<Value>) -> Vec<Value> {
    for d in &diags {
        assert!(d["severity"] == 1 || d["severity"] == 2, "{d}");
        if d["severity"] == 2 {
            assert!(d["code"].as_str().unwrap().starts_with('W'), "{d}");
        }
    }
    diags.into_iter().filter(|d| d["severity"] == 1).collect()
}

pub fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

pub fn range(line: u32, start: u32, end: u32) -> Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}

/// The UTF-16 column of the first `needle` on line `line` of `text`.
pub fn col(text: &str, line: usize, needle: &str) -> u32 {
    let l = text.lines().nth(line).unwrap();
    let byte = l.find(needle).unwrap();
    u32::try_from(l[..byte].encode_utf16().count()).unwrap()
}

/// The labels of a completion answer.
pub fn completion_labels(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect()
}
