//! Moving the spans of a statement: a statement parsed out of a part of its file, or one that
//! text inserted or removed above it moved, by the number of bytes it moved. Every span of
//! the statement is moved, so a moved statement equals the one a parse of the whole text gives.

use crate::source::{FileId, Span, Spanned};
use crate::syntax::ast;

/// Every span of `item` in `file` moved by `delta` bytes (see [`Span::moved`]).
pub fn item(item: &mut ast::Item, file: FileId, delta: i64) {
    if delta == 0 {
        return;
    }
    let m = Mover { file, delta };
    match item {
        ast::Item::Namespace(n) => m.spanned(n),
        ast::Item::DefaultDeny(s) => m.span(s),
        ast::Item::Def(def) => {
            m.spanned(&mut def.name);
            for p in &mut def.params {
                m.spanned(&mut p.name);
                p.types.iter_mut().for_each(|t| m.spanned(t));
                if let Some(x) = &mut p.default {
                    m.dest(x);
                }
                m.span(&mut p.span);
            }
            m.dests(&mut def.body);
            m.span(&mut def.span);
        }
        ast::Item::Workload(w) => {
            m.spanned(&mut w.name);
            match &mut w.selector {
                ast::WorkloadSelector::App => {}
                ast::WorkloadSelector::Labels(s) => m.selector(s),
            }
            m.dests(&mut w.allow);
            m.dests(&mut w.deny);
            m.span(&mut w.span);
        }
        ast::Item::Cluster(c) => {
            m.spanned(&mut c.name);
            if let Some(s) = &mut c.selector {
                m.selector(s);
            }
            m.namespaces(&mut c.namespaces);
            m.except(&mut c.except);
            if let Some(a) = &mut c.allow {
                m.dests(a);
            }
            m.dests(&mut c.deny);
            m.span(&mut c.span);
        }
        ast::Item::Host(h) => {
            m.spanned(&mut h.name);
            if let Some(s) = &mut h.selector {
                m.selector(s);
            }
            if let Some(s) = &mut h.pods {
                m.span(s);
            }
            m.namespaces(&mut h.namespaces);
            m.except(&mut h.except);
            m.dests(&mut h.allow);
            m.dests(&mut h.deny);
            m.span(&mut h.span);
        }
        ast::Item::Reserved(r) => {
            m.spanned(&mut r.identity);
            m.dests(&mut r.allow);
            m.dests(&mut r.deny);
            m.span(&mut r.span);
        }
        ast::Item::Set(s) => {
            m.spanned(&mut s.key);
            m.dests(&mut s.values);
            m.span(&mut s.span);
        }
        ast::Item::Allow(a) => {
            m.spanned(&mut a.code);
            if let Some(r) = &mut a.reason {
                m.spanned(r);
            }
            m.span(&mut a.span);
        }
        ast::Item::Expect(e) => {
            m.spanned(&mut e.workload);
            m.dest(&mut e.dest);
            if let Some(r) = &mut e.resolving {
                m.spanned(r);
            }
            m.span(&mut e.span);
        }
    }
}

struct Mover {
    file: FileId,
    delta: i64,
}

impl Mover {
    fn span(&self, s: &mut Span) {
        *s = s.moved(self.file, self.delta);
    }

    fn spanned<T>(&self, s: &mut Spanned<T>) {
        self.span(&mut s.span);
    }

    fn dests(&self, list: &mut [ast::Dest]) {
        list.iter_mut().for_each(|x| self.dest(x));
    }

    fn ports(&self, p: &mut Option<ast::PortSuffix>) {
        if let Some(p) = p {
            self.spanned(&mut p.port);
            if let Some(x) = &mut p.proto {
                self.spanned(x);
            }
            p.args.iter_mut().for_each(|x| self.spanned(x));
            self.span(&mut p.span);
        }
    }

    fn dest(&self, x: &mut ast::Dest) {
        match &mut x.kind {
            ast::DestKind::Atom(atom) => match atom {
                ast::Atom::Ip {
                    addr,
                    prefix,
                    ports,
                } => {
                    self.spanned(addr);
                    if let Some(p) = prefix {
                        self.spanned(p);
                    }
                    self.ports(ports);
                }
                ast::Atom::Host { name, ports } | ast::Atom::Name { name, ports } => {
                    self.spanned(name);
                    self.ports(ports);
                }
                ast::Atom::Port(p) => self.spanned(p),
            },
            ast::DestKind::Text(t) => self.spanned(t),
            ast::DestKind::Call { name, args } => {
                self.spanned(name);
                for a in args {
                    if let Some(n) = &mut a.name {
                        self.spanned(n);
                    }
                    self.dest(&mut a.value);
                }
            }
            ast::DestKind::Pods {
                namespace,
                selector,
                cluster,
            } => {
                if let Some((k, v)) = cluster {
                    self.spanned(k);
                    self.spanned(v);
                }
                match namespace {
                    None => {}
                    Some(ast::NamespaceRef::Any(s)) => self.span(s),
                    Some(ast::NamespaceRef::Named(n)) => self.spanned(n),
                    Some(ast::NamespaceRef::Labels(sel, s)) => {
                        self.selector(sel);
                        self.span(s);
                    }
                }
                self.selector(selector);
            }
            ast::DestKind::ServiceAccount { namespace, name }
            | ast::DestKind::Service { namespace, name } => {
                if let Some(n) = namespace {
                    self.spanned(n);
                }
                self.spanned(name);
            }
        }
        self.ports(&mut x.ports);
        self.span(&mut x.span);
    }

    fn namespaces(&self, n: &mut Option<(ast::Selector, Span)>) {
        if let Some((s, at)) = n {
            self.selector(s);
            self.span(at);
        }
    }

    fn except(&self, e: &mut Option<ast::Except>) {
        if let Some(e) = e {
            e.names.iter_mut().for_each(|n| self.spanned(n));
            self.span(&mut e.span);
        }
    }

    fn selector(&self, s: &mut ast::Selector) {
        for t in &mut s.terms {
            match t {
                ast::LabelTerm::Eq(k, v) | ast::LabelTerm::Ne(k, v) => {
                    self.spanned(k);
                    self.spanned(v);
                }
                ast::LabelTerm::In(k, vs) | ast::LabelTerm::NotIn(k, vs) => {
                    self.spanned(k);
                    vs.iter_mut().for_each(|v| self.spanned(v));
                }
                ast::LabelTerm::Exists(k) | ast::LabelTerm::Absent(k) => self.spanned(k),
            }
        }
        self.span(&mut s.span);
    }
}
