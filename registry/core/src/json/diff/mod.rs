//! The difference engine: walks an original and an update schema side by side
//! and lists their differences the way Confluent's JSON Schema diff does.
//!
//! Every pair of subschemas is compared once per round: results are memoized by
//! pair, relative to the pair, and rebased onto each path that reaches it. A
//! pair met again while still being compared (a recursive schema) is assumed to
//! be compatible; after the round, every such assumption is checked against the
//! pair's actual result, and the round is repeated with corrected assumptions
//! until none changes. Assumptions only ever move from compatible to
//! incompatible, so this ends (within [`MAX_ROUNDS`]).

mod scalar;
mod structure;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value;

use super::Document;
use super::compat::DifferenceType as D;
use super::model::{Criterion, Kind, Model, Node, NodeId};
use crate::compat::JsonPolicy;
use crate::error::pointer_push;
use scalar::{compare_enums, compare_numbers, compare_strings};

/// How deep pairs of subschemas may nest (through references) before the
/// engine stops descending. JSON nesting alone stays far below this.
const MAX_DEPTH: usize = 96;
/// How often a round is repeated to settle recursive assumptions.
const MAX_ROUNDS: usize = 16;

/// A location in one side's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) doc: usize,
    pub(crate) pointer: String,
}

impl Loc {
    fn of(node: &Node) -> Loc {
        Loc {
            doc: node.doc,
            pointer: node.pointer.clone(),
        }
    }

    fn child(&self, token: impl std::fmt::Display) -> Loc {
        Loc {
            doc: self.doc,
            pointer: pointer_push(&self.pointer, token),
        }
    }
}

/// One difference, with where it is on both sides.
#[derive(Debug, Clone)]
pub(crate) struct Diff {
    pub(crate) kind: D,
    /// Confluent's path segments (`#/` + segments joined by `/`).
    pub(crate) path: Vec<String>,
    pub(crate) original: Loc,
    pub(crate) update: Loc,
    /// The old and new value or type, for messages.
    pub(crate) old: Option<String>,
    pub(crate) new: Option<String>,
    /// Repeated from a recursion assumption: it steers decisions inside combined
    /// schemas, but the same difference is reported where the pair first occurs.
    echo: bool,
}

impl Diff {
    pub(crate) fn path_string(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }
}

/// The differences found so far at the current path.
#[derive(Debug, Default)]
struct Ctx {
    path: Vec<String>,
    diffs: Vec<Diff>,
}

impl Ctx {
    /// A context at the same path with no differences yet.
    fn sub(&self) -> Ctx {
        Ctx {
            path: self.path.clone(),
            diffs: Vec::new(),
        }
    }

    fn push(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    fn pop(&mut self) {
        self.path.pop();
    }

    /// Adds differences computed relative to a nested pair.
    fn extend_rebased(&mut self, relative: &[Diff]) {
        for d in relative {
            let mut d = d.clone();
            let mut path = self.path.clone();
            path.append(&mut d.path);
            d.path = path;
            self.diffs.push(d);
        }
    }
}

/// Which pair is compared, and in which orientation (`not` swaps the sides).
type Pair = (bool, NodeId, NodeId);

/// Facts about the two nodes being compared, for emitting differences.
struct At {
    original: Loc,
    update: Loc,
}

impl At {
    fn emit(
        &self,
        ctx: &mut Ctx,
        kind: D,
        keyword: Option<&str>,
        old: Option<String>,
        new: Option<String>,
    ) {
        let mut path = ctx.path.clone();
        let (original, update) = match keyword {
            Some(k) => {
                path.push(k.to_owned());
                (self.original.child(k), self.update.child(k))
            }
            None => (self.original.clone(), self.update.clone()),
        };
        ctx.diffs.push(Diff {
            kind,
            path,
            original,
            update,
            old,
            new,
            echo: false,
        });
    }
}

pub(crate) struct Engine<'a> {
    /// `sides[0]` is the original schema, `sides[1]` the update.
    sides: [Model<'a>; 2],
    /// True while comparing with the sides swapped (inside `not`).
    flipped: bool,
    policy: JsonPolicy,
    memo: HashMap<Pair, Rc<[Diff]>>,
    in_progress: HashSet<Pair>,
    assumed: HashMap<Pair, Rc<[Diff]>>,
    cycles: HashSet<Pair>,
    depth: usize,
    patterns: HashMap<String, Option<jsonschema::Validator>>,
    /// Both sides are the same text (and reference the same texts).
    same_documents: bool,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(
        original: &'a [Document],
        update: &'a [Document],
        policy: JsonPolicy,
    ) -> Self {
        Engine {
            sides: [Model::new(original), Model::new(update)],
            flipped: false,
            policy,
            memo: HashMap::new(),
            in_progress: HashSet::new(),
            assumed: HashMap::new(),
            cycles: HashSet::new(),
            depth: 0,
            patterns: HashMap::new(),
            same_documents: original == update,
        }
    }

    /// All differences between the two root schemas.
    pub(crate) fn run(mut self) -> Vec<Diff> {
        let original = self.sides[0].root();
        let update = self.sides[1].root();
        let mut last = Vec::new();
        for _ in 0..MAX_ROUNDS {
            self.memo.clear();
            self.in_progress.clear();
            self.cycles.clear();
            self.depth = 0;
            self.flipped = false;
            let mut ctx = Ctx::default();
            self.compare(&mut ctx, original, update);
            last = ctx.diffs;
            let mut changed = false;
            for pair in std::mem::take(&mut self.cycles) {
                let Some(actual) = self.memo.get(&pair).cloned() else {
                    continue;
                };
                let assumed_ok = self
                    .assumed
                    .get(&pair)
                    .is_none_or(|a| self.is_compatible(a));
                if assumed_ok && !self.is_compatible(&actual) {
                    let incompatible: Vec<Diff> = actual
                        .iter()
                        .filter(|d| !d.kind.is_compatible(self.policy))
                        .map(|d| Diff {
                            echo: true,
                            ..d.clone()
                        })
                        .collect();
                    self.assumed.insert(pair, incompatible.into());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        last.retain(|d| !d.echo);
        last
    }

    fn is_compatible(&self, diffs: &[Diff]) -> bool {
        diffs.iter().all(|d| d.kind.is_compatible(self.policy))
    }

    fn o_side(&self) -> usize {
        usize::from(self.flipped)
    }

    fn u_side(&self) -> usize {
        usize::from(!self.flipped)
    }

    /// Compares two optional subschemas: one missing is `SCHEMA_ADDED`/`SCHEMA_REMOVED`.
    fn compare_opt(&mut self, ctx: &mut Ctx, o: Option<NodeId>, u: Option<NodeId>, at: &At) {
        match (o, u) {
            (Some(o), Some(u)) => self.compare(ctx, o, u),
            (None, Some(_)) => at.emit(ctx, D::SchemaAdded, None, None, None),
            (Some(_), None) => at.emit(ctx, D::SchemaRemoved, None, None, None),
            (None, None) => {}
        }
    }

    /// Compares a pair of subschemas at the current path, memoized.
    fn compare(&mut self, ctx: &mut Ctx, o: NodeId, u: NodeId) {
        let o = self.sides[self.o_side()].deref(o);
        let u = self.sides[self.u_side()].deref(u);
        let pair = (self.flipped, o, u);
        if let Some(found) = self.memo.get(&pair) {
            let found = Rc::clone(found);
            ctx.extend_rebased(&found);
            return;
        }
        if self.in_progress.contains(&pair) {
            self.cycles.insert(pair);
            if let Some(assumed) = self.assumed.get(&pair) {
                let assumed = Rc::clone(assumed);
                ctx.extend_rebased(&assumed);
            }
            return;
        }
        let mut sub = Ctx::default();
        if self.depth >= MAX_DEPTH {
            self.too_deep(&mut sub, o, u);
        } else {
            self.in_progress.insert(pair);
            self.depth += 1;
            self.compare_nodes(&mut sub, o, u);
            self.depth -= 1;
            self.in_progress.remove(&pair);
        }
        let result: Rc<[Diff]> = sub.diffs.into();
        self.memo.insert(pair, Rc::clone(&result));
        ctx.extend_rebased(&result);
    }

    /// Past [`MAX_DEPTH`] the engine stops descending. Subschemas of identical
    /// documents are identical; anything else is reported as a change rather than
    /// risking the stack or letting a deep change through unseen.
    fn too_deep(&mut self, ctx: &mut Ctx, o: NodeId, u: NodeId) {
        let (os, us) = (&self.sides[self.o_side()], &self.sides[self.u_side()]);
        let (on, un) = (os.node(o), us.node(u));
        let same_text = on.pointer == un.pointer && on.doc == un.doc && self.same_documents;
        if !same_text {
            let at = At {
                original: Loc::of(on),
                update: Loc::of(un),
            };
            let detail =
                Some("a schema nested too deeply (through references) to compare".to_owned());
            at.emit(ctx, D::TypeChanged, None, detail.clone(), detail);
        }
    }

    /// Whether `diffs` hold only compatible changes, after comparing in a fresh context.
    fn try_compare(&mut self, ctx: &Ctx, o: NodeId, u: NodeId) -> (bool, Ctx) {
        let mut sub = ctx.sub();
        self.compare(&mut sub, o, u);
        (self.is_compatible(&sub.diffs), sub)
    }

    fn compare_nodes(&mut self, ctx: &mut Ctx, o: NodeId, u: NodeId) {
        let on = self.sides[self.o_side()].node_rc(o);
        let un = self.sides[self.u_side()].node_rc(u);
        let at = At {
            original: Loc::of(&on),
            update: Loc::of(&un),
        };
        match (&on.kind, &un.kind) {
            (Kind::Combined { .. }, Kind::Combined { .. }) => {}
            (
                _,
                Kind::Combined {
                    criterion,
                    subschemas,
                },
            ) => {
                if let [only] = subschemas[..] {
                    let (ok, sub) = self.try_compare(ctx, o, only);
                    if ok {
                        ctx.diffs.extend(sub.diffs);
                        return;
                    }
                } else if *criterion != Criterion::All {
                    for &s in subschemas {
                        let (ok, sub) = self.try_compare(ctx, o, s);
                        if ok {
                            ctx.diffs.extend(sub.diffs);
                            at.emit(ctx, D::SumTypeExtended, None, None, None);
                            return;
                        }
                    }
                }
            }
            (
                Kind::Combined {
                    criterion,
                    subschemas,
                },
                _,
            ) => {
                if let [only] = subschemas[..] {
                    let (ok, sub) = self.try_compare(ctx, only, u);
                    if ok {
                        ctx.diffs.extend(sub.diffs);
                        return;
                    }
                } else if *criterion == Criterion::All {
                    for &s in subschemas {
                        let (ok, sub) = self.try_compare(ctx, s, u);
                        if ok {
                            ctx.diffs.extend(sub.diffs);
                            at.emit(ctx, D::ProductTypeNarrowed, None, None, None);
                            return;
                        }
                    }
                }
            }
            _ => {}
        }

        if on.kind.class() != un.kind.class() {
            if on.common.connect_bytes && un.common.connect_bytes {
                // Kafka Connect writes decimals as bytes whichever JSON type the schema names.
                return;
            }
            if !matches!(on.kind, Kind::False) && !un.kind.accepts_everything() {
                let (old, new) = (on.kind.describe(), un.kind.describe());
                at.emit(ctx, D::TypeChanged, None, Some(old), Some(new));
            }
            return;
        }

        let (oc, uc) = (&on.common, &un.common);
        if oc.id != uc.id {
            at.emit(
                ctx,
                D::IdChanged,
                None,
                show(oc.id.as_ref()),
                show(uc.id.as_ref()),
            );
        }
        if oc.title != uc.title {
            at.emit(
                ctx,
                D::TitleChanged,
                None,
                show(oc.title.as_ref()),
                show(uc.title.as_ref()),
            );
        }
        if oc.description != uc.description {
            at.emit(ctx, D::DescriptionChanged, None, None, None);
        }
        if oc.default != uc.default {
            at.emit(
                ctx,
                D::DefaultChanged,
                None,
                show(oc.default.as_ref()),
                show(uc.default.as_ref()),
            );
        }

        match (&on.kind, &un.kind) {
            (Kind::String(a), Kind::String(b)) => compare_strings(ctx, &at, a, b),
            (Kind::Number(a), Kind::Number(b)) => compare_numbers(ctx, &at, a, b),
            (Kind::Enum(a), Kind::Enum(b)) => compare_enums(ctx, &at, a, b),
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                at.emit(
                    ctx,
                    D::EnumArrayChanged,
                    Some("const"),
                    Some(a.to_string()),
                    Some(b.to_string()),
                );
            }
            (
                Kind::Combined {
                    criterion: oc,
                    subschemas: os,
                },
                Kind::Combined {
                    criterion: uc,
                    subschemas: us,
                },
            ) => self.compare_combined(ctx, &at, (*oc, os), (*uc, us)),
            (Kind::Not(a), Kind::Not(b)) => {
                ctx.push("not");
                // A `not` accepts more when what it excludes accepts less: compare reversed.
                self.flipped = !self.flipped;
                let (ok, _) = self.try_compare(ctx, *b, *a);
                self.flipped = !self.flipped;
                let kind = if ok {
                    D::NotTypeNarrowed
                } else {
                    D::NotTypeExtended
                };
                let here = At {
                    original: at.original.child("not"),
                    update: at.update.child("not"),
                };
                here.emit(ctx, kind, None, None, None);
                ctx.pop();
            }
            (Kind::Object(a), Kind::Object(b)) => self.compare_objects(ctx, &at, a, b),
            (Kind::Array(a), Kind::Array(b)) => self.compare_arrays(ctx, &at, a, b),
            _ => {}
        }
    }

    fn compare_combined(
        &mut self,
        ctx: &mut Ctx,
        at: &At,
        (oc, os): (Criterion, &[NodeId]),
        (uc, us): (Criterion, &[NodeId]),
    ) {
        if oc != uc {
            let extended = uc == Criterion::Any
                || (os.len() == 1 && us.len() == 1)
                || (os.len() == 1 && uc == Criterion::One)
                || (us.len() == 1 && oc == Criterion::All);
            let (old, new) = (Some(oc.keyword().to_owned()), Some(uc.keyword().to_owned()));
            if !extended {
                at.emit(ctx, D::CombinedTypeChanged, None, old, new);
                return;
            }
            at.emit(ctx, D::CombinedTypeExtended, None, old, new);
        }
        let os = self.distinct(self.o_side(), os);
        let us = self.distinct(self.u_side(), us);
        let (on, un) = (os.len(), us.len());
        let counts = (Some(on.to_string()), Some(format!("{un} members")));
        if on < un {
            let kind = if uc == Criterion::All {
                D::ProductTypeExtended
            } else {
                D::SumTypeExtended
            };
            at.emit(ctx, kind, None, counts.0, counts.1);
        } else if on > un {
            let kind = if oc == Criterion::All {
                D::ProductTypeNarrowed
            } else {
                D::SumTypeNarrowed
            };
            at.emit(ctx, kind, None, counts.0, counts.1);
        }
        let mut edges: Vec<Vec<(usize, Vec<Diff>)>> = Vec::with_capacity(on);
        for (i, &o) in os.iter().enumerate() {
            ctx.push(format!("{}/{i}", oc.keyword()));
            let mut row = Vec::new();
            for (j, &u) in us.iter().enumerate() {
                let (ok, sub) = self.try_compare(ctx, o, u);
                if ok {
                    row.push((j, sub.diffs));
                }
            }
            ctx.pop();
            edges.push(row);
        }
        let matching = max_matching(&edges, un);
        let mut matched = 0;
        for (i, row) in edges.into_iter().enumerate() {
            if let Some(j) = matching[i]
                && let Some((_, diffs)) = row.into_iter().find(|(jj, _)| *jj == j)
            {
                ctx.diffs.extend(diffs);
                matched += 1;
            }
        }
        if matched < on.min(un) {
            at.emit(ctx, D::CombinedTypeSubschemasChanged, None, None, None);
        }
    }

    /// Members of a combined schema with textual duplicates removed (first kept).
    fn distinct(&self, side: usize, members: &[NodeId]) -> Vec<NodeId> {
        let model = &self.sides[side];
        let mut seen: Vec<&Value> = Vec::new();
        let mut out = Vec::new();
        for &m in members {
            match model.raw(m) {
                Some(raw) if seen.contains(&raw) => {}
                Some(raw) => {
                    seen.push(raw);
                    out.push(m);
                }
                None => out.push(m),
            }
        }
        out
    }

    /// The kind of a node after following references.
    fn kind_of(&mut self, side: usize, id: NodeId) -> Kind {
        let id = self.sides[side].deref(id);
        self.sides[side].node(id).kind.clone()
    }

    fn has_default(&self, side: usize, id: NodeId) -> bool {
        self.sides[side].node(id).common.default.is_some()
    }
}

fn show(value: Option<&Value>) -> Option<String> {
    value.map(Value::to_string)
}

/// A maximum bipartite matching (augmenting paths): `edges[i]` lists the right
/// vertices left vertex `i` may pair with. Returns each left vertex's partner.
fn max_matching<T>(edges: &[Vec<(usize, T)>], right: usize) -> Vec<Option<usize>> {
    fn augment<T>(
        i: usize,
        edges: &[Vec<(usize, T)>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (j, _) in &edges[i] {
            if seen[*j] {
                continue;
            }
            seen[*j] = true;
            if owner[*j].is_none_or(|k| augment(k, edges, seen, owner)) {
                owner[*j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for i in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(i, edges, &mut seen, &mut owner);
    }
    let mut partner = vec![None; edges.len()];
    for (j, i) in owner.iter().enumerate() {
        if let Some(i) = i {
            partner[*i] = Some(j);
        }
    }
    partner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_finds_the_maximum() {
        // 0 can take a or b, 1 only a: greedy 0->a would strand 1.
        let edges = vec![vec![(0, ()), (1, ())], vec![(0, ())]];
        let m = max_matching(&edges, 2);
        assert_eq!(m, vec![Some(1), Some(0)]);
    }
}
