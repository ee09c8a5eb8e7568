//! Boxes the type uses that would make a type contain itself by value.
//!
//! A front end just writes `TypeRef::Named` everywhere; this pass finds the strongly
//! connected components of the "contains by value" graph (through `Option`, not
//! through `Vec` or maps, which already allocate) and boxes every by-value use that
//! stays inside a component. It runs on the IR, so every front end gets it.

use std::collections::BTreeMap;

use crate::ir::{Payload, TypeKind, TypePath, TypeRef, TypeSpace};

/// Rewrites `space` so no type contains itself by value.
pub fn box_cycles(space: &mut TypeSpace) {
    let paths: Vec<TypePath> = space.types.keys().cloned().collect();
    let index: BTreeMap<&TypePath, usize> = paths.iter().enumerate().map(|(i, p)| (p, i)).collect();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); paths.len()];
    for (i, def) in space.types.values().enumerate() {
        for_each_ref(&def.kind, &mut |ty| {
            by_value_targets(ty, &mut |p| {
                if let Some(&j) = index.get(p) {
                    edges[i].push(j);
                }
            });
        });
    }
    let component = components(&edges);
    let mut rewrites: Vec<(TypePath, usize)> = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        rewrites.push((p.clone(), i));
    }
    for (path, i) in rewrites {
        let Some(def) = space.types.get_mut(&path) else {
            continue;
        };
        for_each_ref_mut(&mut def.kind, &mut |ty| {
            box_in(ty, &|p| {
                index.get(p).is_some_and(|&j| component[j] == component[i])
            });
        });
    }
}

fn for_each_ref(kind: &TypeKind, f: &mut dyn FnMut(&TypeRef)) {
    match kind {
        TypeKind::Struct(s) => s.fields.iter().for_each(|fl| f(&fl.ty)),
        TypeKind::Enum(e) => {
            for v in &e.variants {
                match &v.payload {
                    Payload::Unit => {}
                    Payload::Newtype(t) => f(t),
                    Payload::Struct(fields) => fields.iter().for_each(|fl| f(&fl.ty)),
                }
            }
        }
        TypeKind::Newtype(n) => f(&n.inner),
        TypeKind::Alias(t) => f(t),
    }
}

fn for_each_ref_mut(kind: &mut TypeKind, f: &mut dyn FnMut(&mut TypeRef)) {
    match kind {
        TypeKind::Struct(s) => s.fields.iter_mut().for_each(|fl| f(&mut fl.ty)),
        TypeKind::Enum(e) => {
            for v in &mut e.variants {
                match &mut v.payload {
                    Payload::Unit => {}
                    Payload::Newtype(t) => f(t),
                    Payload::Struct(fields) => fields.iter_mut().for_each(|fl| f(&mut fl.ty)),
                }
            }
        }
        TypeKind::Newtype(n) => f(&mut n.inner),
        TypeKind::Alias(t) => f(t),
    }
}

/// Named types held by value (not behind a list, map or box).
fn by_value_targets(ty: &TypeRef, f: &mut dyn FnMut(&TypePath)) {
    match ty {
        TypeRef::Named(p) => f(p),
        TypeRef::Option { inner, .. } => by_value_targets(inner, f),
        TypeRef::Scalar(_) | TypeRef::List(_) | TypeRef::Map(_) | TypeRef::Boxed(_) => {}
    }
}

fn box_in(ty: &mut TypeRef, cyclic: &dyn Fn(&TypePath) -> bool) {
    match ty {
        TypeRef::Named(p) if cyclic(p) => {
            let inner = std::mem::replace(ty, TypeRef::Scalar(crate::ir::Scalar::Unit));
            *ty = TypeRef::Boxed(Box::new(inner));
        }
        TypeRef::Option { inner, .. } => box_in(inner, cyclic),
        _ => {}
    }
}

/// Strongly connected components (iterative Tarjan); returns a component id per node.
fn components(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut ncomp = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // Each frame: node and the position of the next edge to look at.
        let mut frames = vec![(start, 0usize)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut ei)) = frames.last_mut() {
            if let Some(&w) = edges[v].get(*ei) {
                *ei += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = ncomp;
                    if w == v {
                        break;
                    }
                }
                ncomp += 1;
            }
        }
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::components;

    #[test]
    fn scc() {
        // 0 → 1 → 0, 2 → 2, 3 alone.
        let c = components(&[vec![1], vec![0], vec![2], vec![]]);
        assert_eq!(c[0], c[1]);
        assert_ne!(c[0], c[2]);
        assert_ne!(c[2], c[3]);
    }
}
