//! The Avro front end: a set of `.avsc` files, parsed together in dependency order
//! by evreg-core, lowered into the IR.
//!
//! Files may use named types defined in other files (`"type": "shop.common.Money"`),
//! as Avro tooling allows when files are parsed together. A first pass
//! (`scan.rs`) finds which file defines which name, files are ordered so definitions
//! come first, and each file is parsed with the files it needs as references.

pub(crate) mod defaults;
pub(crate) mod lower;
pub(crate) mod scan;

use std::collections::{BTreeMap, BTreeSet};

use evreg_core::avro::AvroSchema;
use evreg_core::{Dependency, SchemaType};
use serde_json::Value;

use crate::error::Error;
use crate::ir::{Origin, TypePath, TypeSpace};

/// One input file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// How the file is named in messages and generated docs.
    pub label: String,
    /// The file name without extension, for naming a root that has no name.
    pub stem: String,
    /// The text.
    pub text: String,
}

/// A parsed file.
pub struct Parsed {
    /// The file.
    pub file: SourceFile,
    /// Its schema, parsed with the types of the other files it uses.
    pub schema: AvroSchema,
    /// The schema with every type it uses from other files written inline.
    pub self_contained: String,
}

fn origin(file: &str, pointer: &str) -> Origin {
    Origin {
        file: file.to_owned(),
        pointer: pointer.to_owned(),
    }
}

/// Parses `files` together. Errors name the file and the JSON pointer.
pub fn parse_all(files: Vec<SourceFile>) -> Result<Vec<Parsed>, Error> {
    let mut docs = Vec::with_capacity(files.len());
    for f in &files {
        let doc: Value = serde_json::from_str(&f.text).map_err(|e| {
            Error::schema(
                origin(&f.label, ""),
                format!(
                    "malformed JSON: line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        docs.push(doc);
    }
    let names: Vec<scan::Names> = docs.iter().map(scan::scan).collect();
    // The first file (in the caller's order) defining a name provides it.
    let mut definer: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        for full in n.defined.keys() {
            definer.entry(full.as_str()).or_insert(i);
        }
    }
    let deps: Vec<BTreeSet<usize>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            n.external()
                .filter_map(|(full, raw)| {
                    definer
                        .get(full.as_str())
                        .or_else(|| definer.get(raw.as_str()))
                        .copied()
                })
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    let library: BTreeMap<String, Value> = names
        .iter()
        .flat_map(|n| n.defined.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let mut out = Vec::with_capacity(files.len());
    for (i, file) in files.into_iter().enumerate() {
        let order = dependency_order(i, &deps, &file.label)?;
        // A file that is a list of types (`[A, B]`) is passed as one reference per
        // type: apache-avro wants each reference to be a named schema.
        let dependencies: Vec<Dependency> = order
            .iter()
            .flat_map(|&j| match &docs[j] {
                Value::Array(items) => items.iter().collect::<Vec<_>>(),
                doc => vec![doc],
            })
            .map(|doc| Dependency {
                name: scan::scan(doc)
                    .defined
                    .keys()
                    .next()
                    .cloned()
                    .unwrap_or_default(),
                schema_type: SchemaType::Avro,
                schema: doc.to_string(),
            })
            .collect();
        let schema = AvroSchema::parse(&file.text, &dependencies).map_err(|e| {
            Error::schema(
                origin(&file.label, &e.location),
                format!("{}: {}", e.kind, e.message),
            )
        })?;
        let self_contained = scan::inline(&docs[i], &library).to_string();
        out.push(Parsed {
            file,
            schema,
            self_contained,
        });
    }
    Ok(out)
}

/// The files `root` needs, transitively, definitions first; refuses cycles.
fn dependency_order(
    root: usize,
    deps: &[BTreeSet<usize>],
    label: &str,
) -> Result<Vec<usize>, Error> {
    let mut order = Vec::new();
    let mut state = vec![0u8; deps.len()]; // 0 new, 1 on the path, 2 done
    // Iterative DFS with explicit frames, so deep chains cannot overflow the stack.
    let mut frames: Vec<(usize, Vec<usize>)> = vec![(root, deps[root].iter().copied().collect())];
    state[root] = 1;
    while let Some((node, pending)) = frames.last_mut() {
        let node = *node;
        match pending.pop() {
            Some(next) if state[next] == 1 => {
                return Err(Error::schema(
                    origin(label, ""),
                    "schema files use each other's types in a cycle; Avro needs each type \
                     defined before it is used, so move the shared types into one file",
                ));
            }
            Some(next) if state[next] == 0 => {
                state[next] = 1;
                let mut children: Vec<usize> = deps[next].iter().copied().collect();
                children.reverse();
                frames.push((next, children));
            }
            Some(_) => {}
            None => {
                frames.pop();
                state[node] = 2;
                if node != root {
                    order.push(node);
                }
            }
        }
    }
    Ok(order)
}

/// Lowers every parsed file into one type space.
pub(crate) fn lower_all(
    parsed: &[Parsed],
    json_fallback: bool,
    root_name: Option<&str>,
) -> Result<TypeSpace, Error> {
    let mut taken: BTreeSet<TypePath> = BTreeSet::new();
    for p in parsed {
        for node in &p.schema.model().nodes {
            if let Some(name) = node.name() {
                taken.insert(lower::path_of(name));
            }
        }
    }
    let mut space = TypeSpace::default();
    for p in parsed {
        let mut l = lower::Lower::new(
            p.schema.model(),
            &p.file.label,
            json_fallback,
            &taken,
            root_name,
        );
        l.run(&p.file.stem)?;
        for def in l.defs {
            let module = def.path.module.clone();
            for depth in 1..=module.len() {
                let prefix = module[..depth].to_vec();
                let ns = prefix.join(".");
                space
                    .module_docs
                    .entry(prefix)
                    .or_insert_with(|| format!("Types of the Avro namespace `{ns}`."));
            }
            space.insert(def)?;
        }
    }
    crate::recursion::box_cycles(&mut space);
    Ok(space)
}

/// The path of a file's root type, if it is a named type.
pub(crate) fn root_path(p: &Parsed, root_name: Option<&str>) -> Option<TypePath> {
    let model = p.schema.model();
    let mut path = lower::path_of(model.node(model.root).name()?);
    if let Some(r) = root_name {
        path.name = crate::naming::type_name(r);
    }
    Some(path)
}
