//! The tidy checks: invariants of the source tree that no compiler enforces, checked by reading
//! the files of every crate's `src/` (as rust-analyzer's tidy does). Production code is what a
//! file holds above its first column-0 `#[cfg(test)]`.
//! - every module opens with a `//!` doc;
//! - no production file is over the size budget;
//! - no two files import each other, directly or around a circle (`use` trees and `crate::`,
//!   `super::` paths, resolved to the file that defines the module they name);
//! - the shared leaves of the server (`state.rs`, `auth/`) and the generic server (`dispatch.rs`)
//!   import nothing from the APIs (`api/`) or the pages (`web/`);
//! - no `error_from_domain` and no `error.rs` of an API ends in a catch-all arm;
//! - every ARN is written by `ids/arn.rs`: no other production file of the domain, the server
//!   or the store spells one out;
//! - every AWS front end under `api/` has idp's shape: `operations.rs`, `wire`, `error.rs` and
//!   `ops/`;
//! - AWS's validation wording is written once, by the server's `aws/validation.rs`: the domain
//!   says which member fails which constraint (`DomainError::InvalidMember`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Production lines a file may have.
const SIZE_BUDGET: usize = 400;

struct SourceFile {
    /// Relative to the workspace root.
    path: String,
    crate_src: PathBuf,
    /// The module path inside its crate (`["user_pool", "store"]`).
    module: Vec<String>,
    production: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// A file's text above its inline test module (a column-0 `#[cfg(test)]` over `mod … {`).
fn production_part(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = String::new();
    for (index, line) in lines.iter().enumerate() {
        let next = lines.get(index + 1).copied().unwrap_or("");
        if line.starts_with("#[cfg(test)]") && next.starts_with("mod ") && next.trim_end().ends_with('{') {
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// The files of modules declared behind `#[cfg(test)]` (`#[cfg(test)] mod conformance;`): test
/// code as a whole.
fn test_only_modules(files: &[SourceFile]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in files {
        let lines: Vec<&str> = file.production.lines().collect();
        for pair in lines.windows(2) {
            if pair[0].trim() == "#[cfg(test)]" {
                if let Some(name) = pair[1].trim().strip_prefix("mod ").and_then(|rest| rest.strip_suffix(';')) {
                    let directory = Path::new(&file.path).parent().unwrap().to_path_buf();
                    let own_directory = if file.path.ends_with("/mod.rs") || file.path.ends_with("/lib.rs") || file.path.ends_with("/main.rs") {
                        directory
                    } else {
                        directory.join(Path::new(&file.path).file_stem().unwrap())
                    };
                    found.insert(own_directory.join(format!("{name}.rs")).display().to_string());
                    found.insert(own_directory.join(name).join("mod.rs").display().to_string());
                }
            }
        }
    }
    found
}

fn source_files() -> Vec<SourceFile> {
    let root = workspace_root();
    let mut files = Vec::new();
    for crate_entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let crate_src = crate_entry.unwrap().path().join("src");
        if !crate_src.is_dir() {
            continue;
        }
        let mut paths = Vec::new();
        rust_files(&crate_src, &mut paths);
        for path in paths {
            let relative = path.strip_prefix(&crate_src).unwrap();
            let mut module: Vec<String> = relative.with_extension("").iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            // Binaries other than main.rs are crate roots of their own.
            if relative.starts_with("bin") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files.push(SourceFile {
                path: path.strip_prefix(&root).unwrap().display().to_string(),
                crate_src: crate_src.clone(),
                module,
                production: production_part(&text),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Expands one `use` tree (`crate::{a, b::{c, d}}`) into its paths.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap().trim();
        return vec![path.strip_suffix("::self").unwrap_or(path).to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, character) in inner.char_indices() {
        match character {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .flat_map(expand_use_tree)
        .map(|path| if prefix.is_empty() { path } else if path == "self" { prefix.to_string() } else { format!("{prefix}::{path}") })
        .collect()
}

/// Every path a file's production code names: its `use` trees and the paths written inline that
/// start at `crate::`, `super::` or one of the file's own child modules (`children`).
fn named_paths(code: &str, children: &BTreeSet<String>) -> Vec<String> {
    let mut paths = Vec::new();
    let without_comments: String = code
        .lines()
        .map(|line| match line.find("//") {
            Some(index) => &line[..index],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = without_comments.as_str();
    while let Some(index) = rest.find("use ") {
        let preceded_by_word = rest[..index].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_');
        let statement_start = rest[..index].trim_end().is_empty()
            || rest[..index].trim_end().ends_with(';')
            || rest[..index].trim_end().ends_with('}')
            || rest[..index].trim_end().ends_with('{')
            || rest[..index].trim_end().ends_with(')')
            || rest[..index].trim_end().ends_with("pub")
            || rest[..index].trim_end().ends_with(']');
        let after = &rest[index + 4..];
        if !preceded_by_word && statement_start {
            if let Some(end) = after.find(';') {
                paths.extend(expand_use_tree(&after[..end].split_whitespace().collect::<Vec<_>>().join(" ")));
            }
        }
        rest = after;
    }
    let anchors: Vec<String> = ["crate".to_string(), "super".to_string()].into_iter().chain(children.iter().cloned()).map(|name| format!("{name}::")).collect();
    for anchor in &anchors {
        let anchor = anchor.as_str();
        let mut rest = without_comments.as_str();
        while let Some(index) = rest.find(anchor) {
            let preceded_by_word = rest[..index].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[index..];
            let end = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            if !preceded_by_word {
                paths.push(tail[..end].trim_end_matches(':').to_string());
            }
            rest = &rest[index + anchor.len()..];
        }
    }
    paths
}

/// The file that defines the deepest module a path names, if it is in this crate.
fn resolve(file: &SourceFile, path: &str, modules: &BTreeMap<(PathBuf, Vec<String>), String>, children: &BTreeSet<String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|segment| !segment.is_empty()).collect();
    let first = *segments.first()?;
    let (mut module, rest): (Vec<String>, &[&str]) = match first {
        "crate" => (Vec::new(), &segments[1..]),
        "self" => (file.module.clone(), &segments[1..]),
        "super" => {
            let mut module = file.module.clone();
            let mut index = 0;
            while segments.get(index) == Some(&"super") {
                module.pop();
                index += 1;
            }
            (module, &segments[index..])
        }
        child if children.contains(child) => (file.module.clone(), &segments[..]),
        _ => return None,
    };
    let mut found = None;
    if !module.is_empty() {
        found = modules.get(&(file.crate_src.clone(), module.clone())).cloned();
    }
    for segment in rest {
        module.push(segment.to_string());
        match modules.get(&(file.crate_src.clone(), module.clone())) {
            Some(defining) => found = Some(defining.clone()),
            None => break,
        }
    }
    found
}

/// The file-level import graph of every crate (edges to crate roots left out: they only declare
/// modules).
fn import_graph(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<(PathBuf, Vec<String>), String> =
        files.iter().map(|file| ((file.crate_src.clone(), file.module.clone()), file.path.clone())).collect();
    let mut graph = BTreeMap::new();
    for file in files {
        let children: BTreeSet<String> = file
            .production
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let line = line.strip_prefix("pub ").or_else(|| line.strip_prefix("pub(crate) ")).unwrap_or(line);
                line.strip_prefix("mod ").map(|name| name.trim_end_matches(';').trim().to_string())
            })
            .collect();
        let targets: BTreeSet<String> = named_paths(&file.production, &children)
            .iter()
            .filter_map(|path| resolve(file, path, &modules, &children))
            .filter(|target| target != &file.path)
            .filter(|target| !target.ends_with("/lib.rs") && !target.ends_with("/main.rs"))
            .collect();
        graph.insert(file.path.clone(), targets);
    }
    graph
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        for target in state.graph.get(node).into_iter().flatten() {
            let target = target.as_str();
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[target].min(state.low[node]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.index[target].min(state.low[node]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            loop {
                let member = state.stack.pop().unwrap();
                state.on_stack.remove(member);
                component.push(member.to_string());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on_stack: BTreeSet::new(), found: Vec::new() };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn every_module_opens_with_a_doc() {
    let undocumented: Vec<String> = source_files()
        .into_iter()
        .filter(|file| {
            let first = file.production.lines().find(|line| !line.starts_with("#![")).unwrap_or("");
            !first.starts_with("//!")
        })
        .map(|file| file.path)
        .collect();
    assert!(undocumented.is_empty(), "modules without a `//!` doc on their first line: {undocumented:#?}");
}

#[test]
fn no_production_file_is_over_the_size_budget() {
    let mut over = Vec::new();
    let files = source_files();
    let test_only = test_only_modules(&files);
    for file in files {
        if test_only.contains(&file.path) {
            continue;
        }
        let lines = file.production.lines().count();
        if lines > SIZE_BUDGET {
            over.push(format!("{}: {lines}", file.path));
        }
    }
    assert!(over.is_empty(), "files over {SIZE_BUDGET} production lines: {over:#?}");
}

#[test]
fn arns_are_built_in_one_place() {
    let files = source_files();
    let test_only = test_only_modules(&files);
    let spelled: Vec<String> = files
        .iter()
        .filter(|file| ["crates/domain/", "crates/server/", "crates/store/"].iter().any(|root| file.path.starts_with(root)))
        .filter(|file| !test_only.contains(&file.path) && !file.path.ends_with("domain/src/ids/arn.rs"))
        .filter(|file| file.production.contains("\"arn:aws:") || file.production.contains("\"arn:{"))
        .map(|file| file.path.clone())
        .collect();
    assert!(spelled.is_empty(), "files that spell out an ARN instead of asking ids::arn: {spelled:#?}");
}

#[test]
fn every_api_has_the_same_shape() {
    let api = workspace_root().join("crates/server/src/api");
    let mut misshapen = Vec::new();
    for entry in std::fs::read_dir(&api).unwrap() {
        let directory = entry.unwrap().path();
        if !directory.is_dir() {
            continue;
        }
        let has = |name: &str| directory.join(name).exists();
        let complete = has("operations.rs") && (has("wire.rs") || has("wire/mod.rs")) && has("error.rs") && has("ops/mod.rs");
        if !complete {
            misshapen.push(directory.display().to_string());
        }
    }
    assert!(!misshapen.is_empty() || api.join("idp").is_dir(), "the APIs were not found");
    assert!(misshapen.is_empty(), "APIs without operations.rs, wire, error.rs and ops/: {misshapen:#?}");
}

#[test]
fn validation_wording_is_written_at_the_edge() {
    let files = source_files();
    let test_only = test_only_modules(&files);
    let worded: Vec<String> = files
        .iter()
        .filter(|file| !test_only.contains(&file.path) && !file.path.ends_with("server/src/aws/validation.rs"))
        .filter(|file| file.production.contains("validation error detected"))
        .map(|file| file.path.clone())
        .collect();
    assert!(worded.is_empty(), "files that write AWS's validation wording themselves: {worded:#?}");
}

#[test]
fn no_file_imports_around_a_circle() {
    let graph = import_graph(&source_files());
    let found = circles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|component| {
            let edges: Vec<String> = component
                .iter()
                .flat_map(|from| graph[from].iter().filter(|to| component.contains(to)).map(move |to| format!("{from} -> {to}")))
                .collect();
            edges.join("\n")
        })
        .collect();
    assert!(found.is_empty(), "import circles:\n{}", described.join("\n\n"));
}

#[test]
fn the_import_graph_sees_imports() {
    // The checks above are only as good as the graph: a known import must be an edge.
    let graph = import_graph(&source_files());
    assert!(graph["crates/domain/src/store/mod.rs"].contains("crates/domain/src/user_pool/store.rs"));
    assert!(graph["crates/domain/src/user_pool/store.rs"].contains("crates/domain/src/store/error.rs"));
    let expanded = expand_use_tree("crate::{a, b::{c, d as e}, f::self}");
    assert_eq!(expanded, ["crate::a", "crate::b::c", "crate::b::d", "crate::f"]);
}

#[test]
fn server_leaves_import_no_api_and_no_page() {
    let graph = import_graph(&source_files());
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        // The shared leaves, and the generic server, which is handed its APIs by `app.rs`.
        let leaf = from == "crates/server/src/state.rs" || from.starts_with("crates/server/src/auth/") || from == "crates/server/src/dispatch.rs";
        if !leaf {
            continue;
        }
        for target in targets {
            if target.starts_with("crates/server/src/api/") || target.starts_with("crates/server/src/web/") {
                wrong.push(format!("{from} -> {target}"));
            }
        }
    }
    assert!(wrong.is_empty(), "the server's leaves import an API or a page: {wrong:#?}");
}

/// The lines of a function's body, from its signature to its closing brace at the same indent.
fn function_body<'a>(code: &'a str, signature: &str) -> Option<Vec<&'a str>> {
    let lines: Vec<&str> = code.lines().collect();
    let start = lines.iter().position(|line| line.contains(signature))?;
    let indent = lines[start].len() - lines[start].trim_start().len();
    let end = (start + 1..lines.len()).find(|&index| lines[index].len() > indent && lines[index].starts_with(&" ".repeat(indent)) && lines[index][indent..] == *"}")?;
    Some(lines[start..=end].to_vec())
}

#[test]
fn error_maps_have_no_catch_all() {
    let mut catch_alls = Vec::new();
    let mut maps = 0;
    for file in source_files() {
        let is_error_file = file.path.starts_with("crates/server/src/api/") && file.path.ends_with("/error.rs");
        let body: Vec<&str> = if is_error_file {
            file.production.lines().collect()
        } else {
            match function_body(&file.production, "fn error_from_domain(").or_else(|| function_body(&file.production, "fn page_message(")) {
                Some(body) => body,
                None => continue,
            }
        };
        maps += 1;
        for line in body {
            let arm = line.trim_start();
            if arm.starts_with("_ =>") || arm.starts_with("other =>") || arm.starts_with("error =>") || arm.starts_with("e =>") {
                catch_alls.push(format!("{}: {}", file.path, line.trim()));
            }
        }
    }
    assert!(maps >= 5, "expected an error map for each AWS API, found {maps}");
    assert!(catch_alls.is_empty(), "error maps with a catch-all arm: {catch_alls:#?}");
}
